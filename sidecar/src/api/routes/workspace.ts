// The config workspace over REST (route table: shared/src/workspace-routes.ts): a device's files,
// history, diff and restore, create / rename / delete, the folder's history and files, and the
// remote. Every change is a commit whose author is the `X-Forge-User` header (HA passes its user's
// name; else "admin") with `X-Forge-Source`; file writes need `If-Match: <sha256>`.
import type { Request, Response } from "express";
import { Router } from "express";
import {
  ACTOR_HEADER,
  ActorName,
  ClientChangeSource,
  CreateDeviceRequest,
  RemoteConfigRequest,
  RenameDeviceRequest,
  RestoreRequest,
  SaveFileRequest,
  SOURCE_HEADER,
} from "@esphome-forge/shared";
import type { DeviceOps } from "../../workspace/device-ops.js";
import { actor, type Actor } from "../../workspace/commits.js";
import { parseIfMatch } from "../../workspace/paths.js";
import type { Workspace } from "../../workspace/workspace.js";
import type { ApiContext } from "../context.js";
import { HttpError } from "../errors.js";
import { ingressIdentity } from "../ingress-guard.js";
import { routeParams, routeQuery } from "../route-guard.js";
import { parseWith } from "../validate.js";

/**
 * Who made the change: under Home Assistant's ingress, the user the proxy vouched for (the header
 * is not asked); else the request's `X-Forge-User` header.
 */
export function requestActor(req: Request): Actor {
  const haUser = req.res ? ingressIdentity(req.res.locals)?.user : undefined;
  const vouched = haUser ? ActorName.safeParse(haUser.displayName ?? haUser.name ?? "").data : undefined;
  const rawName = haUser ? undefined : req.get(ACTOR_HEADER);
  const name = vouched ?? (rawName === undefined ? undefined : parseWith(ActorName, rawName, `${ACTOR_HEADER} header`));
  const rawSource = req.get(SOURCE_HEADER);
  const source = rawSource === undefined ? "api" : parseWith(ClientChangeSource, rawSource, `${SOURCE_HEADER} header`);
  return actor(name, source);
}

function guard(req: Request) {
  const header = req.get("if-match");
  const ifMatch = parseIfMatch(header);
  if (header !== undefined && ifMatch === null)
    throw new HttpError(400, "bad_request", "If-Match must be the file's sha256 (64 hex digits)");
  return { ifMatch, create: req.get("if-none-match")?.trim() === "*" };
}

function sendFile(res: Response, file: { sha256: string }) {
  res.set("ETag", `"${file.sha256}"`).json(file);
}

type P = { id: string };
type Q = { path?: string; reveal?: boolean };

export function workspaceRoutes(ctx: ApiContext, ws: Workspace, ops: DeviceOps): Router {
  const r = Router();
  const device = (res: Response) => routeParams<P>(res).id;
  const view = (id: string) => {
    const d = ctx.inventory.get(id);
    return d ? ctx.view.toDevice(d) : null;
  };

  r.post("/devices", async (req, res) => {
    const body = parseWith(CreateDeviceRequest, req.body, "device");
    const out = await ops.create(body, requestActor(req));
    res.status(201).json({ ...out, device: view(body.name) });
  });
  r.delete("/devices/:id", async (req, res) => {
    const id = device(res);
    const out = await ops.remove(id, guard(req), requestActor(req));
    ctx.jobs.cancelDevice(id);
    res.json(out);
  });
  r.get("/devices/:id/config", async (_req, res) => {
    const q = routeQuery<Q>(res);
    sendFile(res, await ops.read(ops.deviceMember(device(res), q.path), q.reveal));
  });
  r.put("/devices/:id/config", async (req, res) => {
    const body = parseWith(SaveFileRequest, req.body, "file");
    const rel = ops.deviceMember(device(res), routeQuery<Q>(res).path);
    const g = guard(req);
    res.json(await ops.save(rel, body.content, { ...g, create: false }, requestActor(req), body));
  });
  r.post("/devices/:id/rename", async (req, res) => {
    const body = parseWith(RenameDeviceRequest, req.body, "rename");
    res.json(await ops.rename(device(res), body.name, guard(req), requestActor(req), body.message));
  });
  r.get("/devices/:id/history", async (_req, res) => {
    const q = routeQuery<{ limit: number; offset: number }>(res);
    res.json(await ops.history({ ...q, path: ops.deviceFile(device(res)) }));
  });
  r.get("/devices/:id/diff", async (_req, res) => {
    const q = routeQuery<{ from: string; to?: string }>(res);
    res.json(await ops.diff({ ...q, path: ops.deviceFile(device(res)) }));
  });
  r.get("/devices/:id/at/:commit", async (_req, res) => {
    const p = routeParams<{ id: string; commit: string }>(res);
    sendFile(res, await ops.at(ops.deviceFile(p.id), p.commit));
  });
  r.post("/devices/:id/restore", async (req, res) => {
    const body = parseWith(RestoreRequest.omit({ path: true }), req.body, "restore");
    res.json(await ops.restore(ops.deviceFile(device(res)), body.commit, requestActor(req), body.message));
  });

  r.get("/workspace", (_req, res) => {
    res.json(ws.status());
  });
  r.get("/workspace/history", async (_req, res) => {
    res.json(await ops.history(routeQuery<{ limit: number; offset: number; path?: string }>(res), true));
  });
  r.get("/workspace/diff", async (_req, res) => {
    res.json(await ops.diff(routeQuery<{ from: string; to?: string; path?: string; reveal?: boolean }>(res)));
  });
  r.get("/workspace/at/:commit", async (_req, res) => {
    const q = routeQuery<{ path: string; reveal?: boolean }>(res);
    sendFile(res, await ops.at(q.path, routeParams<{ commit: string }>(res).commit, q.reveal));
  });
  r.post("/workspace/restore", async (req, res) => {
    const body = parseWith(RestoreRequest, req.body, "restore");
    res.json(await ops.restore(body.path, body.commit, requestActor(req), body.message));
  });
  r.get("/workspace/files", async (_req, res) => {
    const q = routeQuery<{ path: string; reveal?: boolean }>(res);
    sendFile(res, await ops.read(q.path, q.reveal));
  });
  r.put("/workspace/files", async (req, res) => {
    const body = parseWith(SaveFileRequest, req.body, "file");
    res.json(await ops.save(routeQuery<{ path: string }>(res).path, body.content, guard(req), requestActor(req), body));
  });
  r.get("/workspace/templates", async (_req, res) => {
    res.json(await ops.templates());
  });
  r.get("/workspace/remote", (_req, res) => {
    res.json(ws.remote.current);
  });
  r.put("/workspace/remote", (req, res) => {
    ws.repo();
    res.json(ws.remote.configure(parseWith(RemoteConfigRequest, req.body, "remote")));
  });
  r.delete("/workspace/remote", (_req, res) => {
    res.json(ws.remote.remove());
  });
  r.post("/workspace/remote/push", async (_req, res) => {
    ws.repo();
    res.json(await ws.remote.pushNow());
  });
  return r;
}
