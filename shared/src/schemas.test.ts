import { describe, expect, it } from "vitest";
import {
  CreateJobsRequest,
  HelloMessage,
  MAX_HELD_JOBS,
  WORKER_PROTOCOL_VERSION,
  WorkerToSidecar,
  AssignMessage,
  buildOpenApiDocument,
  ROUTES,
} from "./index.js";

const system = { hostname: "h", os: "linux", arch: "x64", cpus: 2, memoryBytes: 1, nodeVersion: "22" };
const fence = "0123456789abcdefABCDEF";
const baseHello = {
  type: "hello",
  protocolVersion: WORKER_PROTOCOL_VERSION,
  workerId: "w1",
  name: "w1",
  version: "0.1.0",
  slots: 2,
  tags: ["esp32"],
  platform: "linux-x64",
  system,
  signingKey: "-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----\n",
};

describe("wire schemas", () => {
  it("accept a well-formed hello and fill defaults", () => {
    const hello = HelloMessage.parse(baseHello);
    expect(hello.runningJobs).toEqual([]);
    expect(hello.warmDevices).toEqual([]);
  });

  it("refuse a hello without the worker's signing key, saying so", () => {
    const { signingKey: _, ...keyless } = baseHello;
    const r = HelloMessage.safeParse(keyless);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain("signing key");
  });

  it("bound every list a worker sends, and fences are random tokens", () => {
    const refs = (n: number) => Array.from({ length: n }, (_, i) => ({ jobId: i + 1, fence }));
    const heartbeat = (n: number) => WorkerToSidecar.safeParse({ type: "heartbeat", runningJobs: refs(n) });
    expect(heartbeat(MAX_HELD_JOBS).success).toBe(true);
    expect(heartbeat(MAX_HELD_JOBS + 1).success).toBe(false);
    expect(HelloMessage.safeParse({ ...baseHello, runningJobs: refs(MAX_HELD_JOBS + 1) }).success).toBe(false);
    expect(HelloMessage.safeParse({ ...baseHello, esphomeVersions: Array(65).fill("2026.1.0") }).success).toBe(false);
    const image = { name: "f.bin", sha256: "a".repeat(64), size: 1, kind: "ota" };
    const result = (firmware: unknown[], validationErrors: unknown[] = []) =>
      WorkerToSidecar.safeParse({
        type: "result",
        jobId: 1,
        fence,
        outcome: "succeeded",
        phase: null,
        error: null,
        firmware,
        esphomeVersion: null,
        durationMs: 1,
        validationErrors,
      }).success;
    expect(result(Array(16).fill(image))).toBe(true);
    expect(result(Array(17).fill(image))).toBe(false);
    expect(result([], Array(501).fill({ file: null, line: null, message: "x" }))).toBe(false);
    expect(WorkerToSidecar.safeParse({ type: "log", jobId: 1, fence: 7, chunk: "x" }).success).toBe(false);
  });

  it("reject unknown message types and bad fields with a path", () => {
    expect(WorkerToSidecar.safeParse({ type: "nope" }).success).toBe(false);
    const bad = WorkerToSidecar.safeParse({ type: "log", jobId: -1, fence, chunk: "x" });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain("jobId");
  });

  it("refuse config file paths that escape the build folder", () => {
    const base = {
      type: "assign",
      jobId: 1,
      fence,
      deviceId: "d",
      deviceName: "d",
      action: "compile",
      params: {},
      configFile: "d.yaml",
      configHash: null,
      esphomeVersion: null,
      address: null,
      timeoutMs: 1000,
    };
    expect(AssignMessage.safeParse({ ...base, files: [{ path: "../etc/passwd", content: "" }] }).success).toBe(false);
    expect(AssignMessage.safeParse({ ...base, files: [{ path: "/etc/passwd", content: "" }] }).success).toBe(false);
    expect(AssignMessage.safeParse({ ...base, files: [{ path: "inc/common.yaml", content: "" }] }).success).toBe(true);
  });

  it("need exactly one target form in a job request", () => {
    expect(CreateJobsRequest.safeParse({ action: "compile", targets: { all: true } }).success).toBe(true);
    expect(CreateJobsRequest.safeParse({ action: "compile", targets: { all: true, tags: ["x"] } }).success).toBe(false);
    expect(CreateJobsRequest.safeParse({ action: "compile", targets: { devices: [] } }).success).toBe(false);
    expect(CreateJobsRequest.safeParse({ action: "flash", targets: { all: true } }).success).toBe(false);
  });
});

describe("OpenAPI document", () => {
  it("has an operation for every route with schemas for bodies", () => {
    const doc = buildOpenApiDocument("1.2.3") as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    };
    expect(doc.openapi).toBe("3.1.0");
    for (const r of ROUTES) {
      const p = "/api/v1" + r.path.replace(/:(\w+)/g, "{$1}");
      expect(doc.paths[p]?.[r.method], `${r.method} ${p}`).toBeDefined();
      if (r.body) expect(doc.paths[p]?.[r.method]?.requestBody).toBeDefined();
    }
  });
});
