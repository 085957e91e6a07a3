// The REST API's contract and every bad-input path, against a real sidecar process.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DeviceList,
  ErrorBody,
  HealthResponse,
  InfoResponse,
  JobList,
  Settings,
  WORKER_PROTOCOL_VERSION,
} from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import { startSidecar, tempDir, type SidecarProc } from "../src/devtools/processes.js";

let sc: SidecarProc;
let api: Api;

beforeAll(async () => {
  const dataDir = tempDir();
  writeFleet(join(dataDir, "config"), [{ id: "kitchen" }, { id: "porch", platform: "esp8266", tags: ["outdoor"] }]);
  sc = await startSidecar({ dataDir, args: ["--no-seed"] });
  api = new Api(sc.url, sc.token);
});
afterAll(async () => {
  await sc?.stop();
});

async function expectError(res: Response, status: number, code: string, messagePart?: string) {
  expect(res.status).toBe(status);
  const body = ErrorBody.parse(await res.json());
  expect(body.error.code).toBe(code);
  if (messagePart) expect(body.error.message).toContain(messagePart);
}

describe("public routes", () => {
  it("health needs no token and names the versions", async () => {
    const res = await fetch(`${sc.url}/api/v1/health`);
    expect(res.status).toBe(200);
    const h = HealthResponse.parse(await res.json());
    expect(h.workerProtocolVersion).toBe(WORKER_PROTOCOL_VERSION);
    expect(h.problems).toEqual([]);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("serves an OpenAPI 3.1 document generated from the shared schemas", async () => {
    const doc = (await (await fetch(`${sc.url}/api/v1/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toContain("/api/v1/jobs/{id}/cancel");
  });
});

describe("authentication", () => {
  it("refuses a missing or wrong admin token with 401 JSON", async () => {
    await expectError(await fetch(`${sc.url}/api/v1/devices`), 401, "unauthorized", "missing");
    await expectError(await new Api(sc.url, "nope").raw("GET", "/devices"), 401, "unauthorized", "invalid");
  });

  it("accepts the admin token", async () => {
    const info = InfoResponse.parse(await api.json("GET", "/info"));
    expect(info.devices).toBe(2);
  });
});

describe("devices", () => {
  it("lists devices read from the config folder", async () => {
    const { devices } = DeviceList.parse(await api.json("GET", "/devices"));
    expect(devices.map((d) => d.id)).toEqual(["kitchen", "porch"]);
    const porch = devices.find((d) => d.id === "porch")!;
    expect(porch).toMatchObject({
      platform: "esp8266",
      board: "d1_mini",
      tags: ["outdoor"],
      address: "127.0.0.1",
      outdated: true,
    });
  });

  it("404s an unknown device and never reads outside the config folder", async () => {
    await expectError(await api.raw("GET", "/devices/nope"), 404, "not_found");
    const res = await api.raw("GET", "/devices/..%2F..%2F..%2Fetc%2Fpasswd");
    expect([400, 404]).toContain(res.status);
    expect(await res.text()).not.toContain("root:");
  });
});

describe("device metadata", () => {
  it("writes pin and tags into the device's metadata block and rejects bad values", async () => {
    const d = await api.json<{ pinnedVersion: string | null; tags: string[] }>("PATCH", "/devices/kitchen/metadata", {
      pinnedVersion: "2026.10.1",
      tags: ["indoor", "esp32"],
    });
    expect(d.pinnedVersion).toBe("2026.10.1");
    expect(d.tags).toEqual(["indoor", "esp32"]);
    const { readFileSync } = await import("node:fs");
    const text = readFileSync(join(sc.dataDir, "config", "kitchen.yaml"), "utf8");
    expect(text).toContain("esphome-forge:");
    expect(text).toContain("name: kitchen");
    await expectError(
      await api.raw("PATCH", "/devices/kitchen/metadata", { tags: ["Not A Tag"] }),
      400,
      "bad_request",
      "tags",
    );
    await expectError(
      await api.raw("PATCH", "/devices/kitchen/metadata", { pinnedVersion: "latest-please" }),
      400,
      "bad_request",
    );
    await expectError(await api.raw("PATCH", "/devices/ghost/metadata", { tags: [] }), 404, "not_found");
  });
});

describe("static files", () => {
  it("never serves files outside the dashboard folder", async () => {
    for (const p of ["/..%2f..%2fpackage.json", "/%2e%2e/%2e%2e/etc/passwd", "/../../etc/passwd"]) {
      const res = await fetch(sc.url + p);
      expect(res.status, p).toBeGreaterThanOrEqual(400);
      const text = await res.text();
      expect(text).not.toContain("root:");
      expect(text).not.toContain('"workspaces"');
    }
  });
});

describe("bad request bodies", () => {
  it("rejects invalid job requests with a message naming the field", async () => {
    await expectError(
      await api.raw("POST", "/jobs", { action: "flash", targets: { all: true } }),
      400,
      "bad_request",
      "action",
    );
    await expectError(
      await api.raw("POST", "/jobs", { action: "compile", targets: { devices: [] } }),
      400,
      "bad_request",
    );
    await expectError(
      await api.raw("POST", "/jobs", { action: "compile", targets: { all: true }, extra: 1 }),
      400,
      "bad_request",
    );
  });

  it("rejects malformed JSON, non-JSON bodies and oversized bodies", async () => {
    await expectError(await api.raw("POST", "/jobs", "{not json"), 400, "bad_request", "JSON");
    await expectError(
      await api.raw("POST", "/jobs", "action=compile", { "content-type": "application/x-www-form-urlencoded" }),
      415,
      "unsupported_media_type",
    );
    const huge = JSON.stringify({ action: "compile", targets: { devices: ["kitchen"] }, source: "x".repeat(400_000) });
    await expectError(await api.raw("POST", "/jobs", huge), 413, "payload_too_large");
  });

  it("reports unknown devices in a job request as skipped, not as jobs", async () => {
    const r = await api.createJobs({ action: "validate", targets: { devices: ["ghost"] } });
    expect(r.jobs).toEqual([]);
    expect(r.skipped).toEqual([{ deviceId: "ghost", reason: "unknown device" }]);
  });

  it("validates ids, query filters and firmware digests", async () => {
    await expectError(await api.raw("GET", "/jobs/abc"), 400, "bad_request", "id: expected a positive integer");
    await expectError(await api.raw("GET", "/jobs/999999"), 404, "not_found");
    await expectError(await api.raw("GET", "/jobs?state=exploded"), 400, "bad_request", "state");
    await expectError(await api.raw("GET", "/firmware/..%2F..%2Fsidecar.db"), 400, "bad_request", "digest");
    await expectError(await api.raw("GET", `/firmware/${"a".repeat(64)}`), 404, "not_found");
    expect(JobList.parse(await api.json("GET", "/jobs?state=queued,running&limit=5")).jobs).toBeInstanceOf(Array);
  });

  it("validates settings patches and keeps the old values on error", async () => {
    const before = Settings.parse((await api.json<{ settings: unknown }>("GET", "/settings")).settings);
    await expectError(await api.raw("PATCH", "/settings", { leaseMs: 5 }), 400, "bad_request", "leaseMs");
    await expectError(await api.raw("PATCH", "/settings", { nonsense: true }), 400, "bad_request");
    const after = Settings.parse((await api.json<{ settings: unknown }>("GET", "/settings")).settings);
    expect(after).toEqual(before);
    const changed = await api.json<{ settings: Settings }>("PATCH", "/settings", { historyRetentionDays: 30 });
    expect(changed.settings.historyRetentionDays).toBe(30);
  });

  it("answers unknown API routes with a JSON 404", async () => {
    await expectError(await api.raw("GET", "/nothing-here"), 404, "not_found");
  });
});

describe("worker tokens", () => {
  it("creates a token shown once, lists it without the secret, revokes it", async () => {
    const created = await api.json<{ token: { id: string }; secret: string }>("POST", "/worker-tokens", {
      name: "garage-pc",
    });
    expect(created.secret).toMatch(/^efw_/);
    const list = await api.json<{ tokens: { id: string; revokedAt: string | null }[] }>("GET", "/worker-tokens");
    expect(JSON.stringify(list)).not.toContain(created.secret);
    await api.json("DELETE", `/worker-tokens/${created.token.id}`);
    const after = await api.json<{ tokens: { id: string; revokedAt: string | null }[] }>("GET", "/worker-tokens");
    expect(after.tokens.find((t) => t.id === created.token.id)?.revokedAt).not.toBeNull();
    await expectError(await api.raw("DELETE", "/worker-tokens/doesnotexist"), 400, "bad_request", "worker token id");
    await expectError(await api.raw("DELETE", "/worker-tokens/000000000000"), 404, "not_found");
  });
});
