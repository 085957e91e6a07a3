// The OpenAPI document tells the truth about the running sidecar: the success statuses routes
// really answer (201s), typed path parameters enforced with the same schemas, empty query values
// refused, 405 with Allow for a method a path does not have, and job parameters that reach a
// worker's command line (`address`, `workerId`) checked at enqueue.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorBody, WorkerList } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import { startSidecar, tempDir, waitFor, type SidecarProc } from "../src/devtools/processes.js";

interface Operation {
  parameters: { name: string; in: string; schema: Record<string, unknown> }[];
  responses: Record<string, unknown>;
}
type Doc = { paths: Record<string, Record<string, Operation>> };

let sc: SidecarProc;
let api: Api;
let doc: Doc;

beforeAll(async () => {
  const dataDir = tempDir();
  writeFleet(join(dataDir, "config"), [{ id: "desk" }, { id: "porch" }]);
  sc = await startSidecar({ dataDir, args: ["--no-seed"], localSlots: 1 });
  api = new Api(sc.url, sc.token);
  doc = (await (await fetch(`${sc.url}/api/v1/openapi.json`)).json()) as Doc;
});
afterAll(async () => {
  await sc?.stop();
});

const op = (method: string, path: string) => doc.paths[`/api/v1${path}`]![method]!;
async function expectError(res: Response, status: number, messagePart: string) {
  const body = ErrorBody.parse(await res.json());
  expect(res.status, `${body.error.message}`).toBe(status);
  expect(body.error.message).toContain(messagePart);
}

describe("success statuses", () => {
  it("declares every status the routes answer, 201 where they create", async () => {
    const answered: [string, string, number][] = [];
    const call = async (method: string, path: string, template: string, body?: unknown) => {
      const res = await api.raw(method, path, body);
      answered.push([method.toLowerCase(), template, res.status]);
      return res;
    };
    const created = await call("POST", "/jobs", "/jobs", { action: "validate", targets: { devices: ["desk"] } });
    const jobId = ((await created.json()) as { jobs: { jobId: number }[] }).jobs[0]!.jobId;
    await call("POST", "/jobs", "/jobs", { action: "validate", targets: { devices: ["ghost"] } });
    await waitFor(async () => ["succeeded", "failed"].includes((await api.job(jobId)).state), "validate done");
    await call("POST", `/jobs/${jobId}/retry`, "/jobs/{id}/retry");
    await call("POST", "/worker-tokens", "/worker-tokens", { name: "doc-check" });
    await call("POST", "/events/ticket", "/events/ticket");
    await call("POST", "/trust/revocations", "/trust/revocations", {
      entries: [{ kind: "artifact", sha256: "b".repeat(64), reason: "doc check" }],
    });
    await call("GET", "/devices", "/devices");
    expect(answered.map(([, , s]) => s)).toEqual([201, 200, 201, 201, 201, 201, 200]);
    for (const [method, path, status] of answered)
      expect(Object.keys(op(method, path).responses), `${method} ${path}`).toContain(String(status));
    // …and only those: a creating route does not also promise a plain 200 it never sends.
    expect(Object.keys(op("post", "/worker-tokens").responses)).not.toContain("200");
  });
});

describe("path parameters", () => {
  it("are typed in the document from the schemas the routes parse them with", () => {
    const param = (method: string, path: string, name: string) =>
      op(method, path).parameters.find((p) => p.in === "path" && p.name === name)!.schema;
    expect(param("get", "/jobs/{id}", "id")).toEqual({ type: "integer", minimum: 1 });
    expect(param("get", "/trust/log/proof/{index}", "index")).toEqual({ type: "integer", minimum: 0 });
    expect(param("get", "/firmware/{sha256}", "sha256")).toMatchObject({ type: "string", pattern: "^[0-9a-f]{64}$" });
    expect(param("get", "/devices/{id}", "id")).toMatchObject({ type: "string", maxLength: 128 });
    expect(param("patch", "/workers/{id}", "id")).toMatchObject({ type: "string", pattern: "^[A-Za-z0-9._-]+$" });
  });

  it("are refused with 400 when they do not fit, before any handler runs", async () => {
    for (const path of ["/jobs/0", "/jobs/01", "/jobs/-1", "/jobs/1e3", "/jobs/9999999999999999", "/jobs/%20%201"])
      await expectError(await api.raw("GET", path), 400, "expected a positive integer");
    await expectError(await api.raw("GET", "/trust/log/proof/-1"), 400, "non-negative integer");
    await expectError(await api.raw("GET", "/firmware/ABC"), 400, "sha256");
    await expectError(await api.raw("GET", `/trust/approvals/${"A".repeat(64)}`), 400, "sha256");
    await expectError(await api.raw("GET", "/devices/..%2F..%2Fetc"), 400, "device ids");
    await expectError(await api.raw("PATCH", "/workers/a%20b", { slots: 1 }), 400, "worker ids");
    await expectError(await api.raw("DELETE", "/worker-tokens/zzz"), 400, "worker token id");
    await expectError(await api.raw("GET", "/jobs/1/firmware/%E0%A4%A"), 400, "percent-encoding");
    // Well-formed but absent is still a 404.
    await expectError(await api.raw("GET", "/jobs/999999"), 404, "no job");
  });
});

describe("query values", () => {
  it("refuses empty values instead of reading them as no filter", async () => {
    await expectError(await api.raw("GET", "/jobs?device="), 400, "empty query parameter device");
    await expectError(await api.raw("GET", "/jobs?state=&limit=5"), 400, "empty query parameter state");
    await expectError(await api.raw("GET", "/trust/status?recheck="), 400, "empty query parameter recheck");
    expect(op("get", "/jobs").parameters.filter((p) => p.in === "query").length).toBeGreaterThan(0);
    expect((await api.raw("GET", "/jobs?state=queued,running&limit=5")).status).toBe(200);
  });
});

describe("methods", () => {
  it("answers 405 with the Allow header the document agrees with", async () => {
    for (const [method, path, template] of [
      ["DELETE", "/jobs", "/jobs"],
      ["PUT", "/devices/desk", "/devices/{id}"],
      ["POST", "/health", "/health"],
      ["GET", "/events/ticket", "/events/ticket"],
      ["PATCH", "/jobs/1/cancel", "/jobs/{id}/cancel"],
    ] as const) {
      const res = await api.raw(method, path);
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(ErrorBody.parse(await res.json()).error.code).toBe("method_not_allowed");
      const documented = Object.keys(doc.paths[`/api/v1${template}`]!).map((m) => m.toUpperCase());
      if (documented.includes("GET")) documented.push("HEAD");
      expect(res.headers.get("allow")!.split(", ").sort()).toEqual(documented.sort());
    }
  });
});

describe("job parameters checked at enqueue", () => {
  const job = (params: Record<string, unknown>) =>
    api.raw("POST", "/jobs", { action: "compile_upload", targets: { devices: ["porch"] }, params });

  it("takes an OTA address only as a host name or an IP address", async () => {
    for (const address of [
      "-oProxyCommand=sh",
      "--device=/dev/ttyS0",
      "a b",
      "$(reboot)",
      "host;rm -rf",
      "`id`",
      "x".repeat(254),
      "",
    ]) {
      await expectError(await job({ address }), 400, "params.address");
    }
    for (const address of ["kitchen.local", "192.168.1.20", "fe80::1", "my_node.local", "esp-1"]) {
      const res = await job({ address });
      expect(res.status, address).toBe(201);
      const id = ((await res.json()) as { jobs: { jobId: number }[] }).jobs[0]!.jobId;
      await api.raw("POST", `/jobs/${id}/cancel`);
    }
    await expectError(await api.raw("PATCH", "/devices/desk/metadata", { address: "-x" }), 400, "address");
  });

  it("takes a worker id only when that worker exists, and says why not", async () => {
    await expectError(
      await job({ workerId: "no-such-worker" }),
      400,
      "params.workerId: no worker with id no-such-worker",
    );
    await expectError(await job({ workerId: "bad id" }), 400, "params.workerId");
    const workers = await waitFor(
      async () => WorkerList.parse(await api.json("GET", "/workers")).workers.filter((w) => w.online),
      "the local worker",
    );
    const ok = await api.raw("POST", "/jobs", {
      action: "validate",
      targets: { devices: ["porch"] },
      params: { workerId: workers[0]!.id },
    });
    expect(ok.status).toBe(201);
  });
});
