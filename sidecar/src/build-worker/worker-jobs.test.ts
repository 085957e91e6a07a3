// Jobs end to end through the worker: real child processes running the stand-in build command
// (a real full compile needs toolchains from the internet), a fake sidecar on the other end.
import { createHash } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { STANDIN_PATH, assign, deviceYaml, sleep, tempDir, waitUntil } from "../../test-support/helpers.js";
import { fakeSidecarSuite, standinPids } from "../../test-support/worker-harness.js";
import { pidAlive } from "./process-group.js";

const t = fakeSidecarSuite();
const { setup, logOf, resultOf } = t;
const uploadsFile = (stateDir: string, deviceId: string) =>
  path.join(stateDir, "builds", deviceId, ".esphome", "standin-uploads.jsonl");

describe("compile (stand-in build command)", () => {
  it("streams coloured logs and phases, then sends each firmware image with matching sha256 before the result", async () => {
    const { stateDir } = await setup();
    const job = assign("kitchen");
    t.fake.send(job);
    const result = await resultOf(job.jobId);
    expect(result).toMatchObject({ outcome: "succeeded", phase: "compile", error: null, esphomeVersion: "2026.10.0" });
    expect(result.firmware.map((f) => f.name)).toEqual(["firmware.factory.bin", "firmware.ota.bin"]);

    const frames = t.fake.firmware.filter((f) => f.jobId === job.jobId);
    expect(frames.map((f) => f.image)).toEqual(result.firmware);
    for (const f of frames) {
      expect(f.sha256).toBe(f.image.sha256);
      expect(f.bytes.length).toBe(f.image.size);
    }
    const ota = readFileSync(path.join(stateDir, "builds/kitchen/.esphome/build/kitchen/build/firmware.ota.bin"));
    expect(createHash("sha256").update(ota).digest("hex")).toBe(frames[1]!.sha256);

    const mine = t.fake.received.filter((m) => "jobId" in m && m.jobId === job.jobId);
    expect(mine[0]).toMatchObject({ type: "started", phase: "prepare", fence: job.fence });
    expect(mine.find((m) => m.type === "progress")).toMatchObject({ phase: "compile" });
    expect(t.fake.of("progress").some((m) => m.jobId === job.jobId && m.percent !== null && m.percent > 0)).toBe(true);
    expect(mine.at(-1)!.type).toBe("result");
    const firstFirmware = mine.findIndex((m) => m.type === "firmware");
    expect(mine.slice(firstFirmware).map((m) => m.type)).toEqual(["firmware", "firmware", "result"]);

    const log = logOf(job.jobId);
    expect(log).toContain("\x1b[32mINFO Successfully compiled program.");
    expect(log).toContain("[forge worker] compile:");
  });

  it("builds incrementally in the same device folder the second time", async () => {
    await setup();
    const first = assign("kitchen");
    t.fake.send(first);
    await resultOf(first.jobId);
    const second = assign("kitchen");
    t.fake.send(second);
    const r = await resultOf(second.jobId);
    expect(r.outcome).toBe("succeeded");
    expect(logOf(second.jobId)).toContain("incremental build");
  });

  it("names the failing phase and the reason", async () => {
    await setup();
    const compile = assign("kitchen", { yaml: deviceYaml("kitchen", { knobs: ["fail-at=compile"] }) });
    t.fake.send(compile);
    const r = await resultOf(compile.jobId);
    expect(r).toMatchObject({ outcome: "failed", phase: "compile", firmware: [] });
    expect(r.error).toMatch(/compile failed \(exit code 1\): .*error: 'standin' was not declared/);
    expect(t.fake.firmware).toHaveLength(0);

    const validate = assign("porch", {
      action: "validate",
      yaml: deviceYaml("porch", { knobs: ["fail-at=validate"] }),
    });
    t.fake.send(validate);
    const v = await resultOf(validate.jobId);
    expect(v).toMatchObject({ outcome: "failed", phase: "validate" });
    // ESPHome's error report (here the stand-in's copy of it) becomes (file, line, message).
    expect(v.error).toMatch(/^invalid config: porch\.yaml:3: sensor\.template: Component not found/);
    expect(v.validationErrors).toEqual([
      { file: "porch.yaml", line: 3, message: expect.stringContaining("Component not found") },
    ]);
  });

  it("fails a compile that leaves no storage JSON, at the compile phase", async () => {
    await setup();
    const job = assign("kitchen", { yaml: deviceYaml("kitchen", { knobs: ["no-storage=1"] }) });
    t.fake.send(job);
    const r = await resultOf(job.jobId);
    expect(r).toMatchObject({ outcome: "failed", phase: "compile" });
    expect(r.error).toMatch(/no firmware was found: ESPHome's storage file .*kitchen\.yaml\.json is missing/);
  });

  it("times out: kills the group and reports the phase", async () => {
    await setup();
    const job = assign("kitchen", { timeoutMs: 500, yaml: deviceYaml("kitchen", { knobs: ["hang=compile"] }) });
    t.fake.send(job);
    const r = await resultOf(job.jobId);
    expect(r).toMatchObject({ outcome: "failed", phase: "compile", error: "compile timed out after 500 ms" });
  });
});

describe("cancel", () => {
  it.each([
    ["a build that stops on SIGTERM", "hang=compile spawn-grandchild=1"],
    ["a build that ignores SIGTERM (SIGKILL after 1.5 s)", "hang=compile spawn-grandchild=1 ignore-sigterm=1"],
  ])("kills the whole process group of %s within 2 s", async (_what, knobs) => {
    const { stateDir } = await setup();
    const job = assign("kitchen", { yaml: deviceYaml("kitchen", { knobs: [knobs] }) });
    t.fake.send(job);
    const pids = await standinPids(stateDir, "kitchen");
    expect(pids.every(pidAlive)).toBe(true);
    const t0 = Date.now();
    t.fake.send({ type: "cancel", jobId: job.jobId, fence: job.fence, reason: "user pressed cancel" });
    const r = await resultOf(job.jobId);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(r).toMatchObject({ outcome: "cancelled", phase: "compile", error: "user pressed cancel" });
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);

    // The build folder stays usable for the next job.
    const next = assign("kitchen");
    t.fake.send(next);
    expect((await resultOf(next.jobId)).outcome).toBe("succeeded");
  });

  it("a cancelled compile ends cancelled and flashes nothing, even when the compile exits 0", async () => {
    const { stateDir } = await setup();
    // sigterm-exit=0: the compile "finishes successfully" just as the cancel arrives.
    const job = assign("kitchen", {
      action: "compile",
      yaml: deviceYaml("kitchen", { knobs: ["sleep-ms=3000 sigterm-exit=0"] }),
    });
    t.fake.send(job);
    await t.fake.waitFor((m) => m.type === "progress" && m.jobId === job.jobId && m.phase === "compile");
    await sleep(300);
    t.fake.send({ type: "cancel", jobId: job.jobId, fence: job.fence, reason: "changed my mind" });
    const r = await resultOf(job.jobId);
    expect(r).toMatchObject({ outcome: "cancelled", phase: "compile" });
    await sleep(200);
    expect(existsSync(uploadsFile(stateDir, "kitchen"))).toBe(false);
    expect(t.fake.of("progress").some((m) => m.jobId === job.jobId && m.phase === "upload")).toBe(false);
    expect(logOf(job.jobId)).not.toContain("Uploading");
  });

  it("ignores a cancel with a stale fence", async () => {
    await setup();
    const job = assign("kitchen", {
      fence: "fence-of-this-assignment",
      yaml: deviceYaml("kitchen", { knobs: ["sleep-ms=500"] }),
    });
    t.fake.send(job);
    await t.fake.waitFor((m) => m.type === "started" && m.jobId === job.jobId);
    t.fake.send({ type: "cancel", jobId: job.jobId, fence: "fence-of-an-older-one00", reason: "old" });
    expect((await resultOf(job.jobId)).outcome).toBe("succeeded");
  });
});

describe("files, folders, slots", () => {
  it("refuses an assignment whose file path escapes the build folder, writing nothing", async () => {
    const { stateDir } = await setup();
    const job = assign("kitchen");
    t.fake.sendRaw({ ...job, files: [job.files[0], { path: "../../escaped.yaml", content: "pwned" }] });
    const r = await resultOf(job.jobId);
    expect(r).toMatchObject({ outcome: "failed", phase: "prepare" });
    expect(existsSync(path.join(stateDir, "escaped.yaml"))).toBe(false);
    expect(existsSync(path.join(stateDir, "builds", "escaped.yaml"))).toBe(false);
    expect(existsSync(path.join(stateDir, "builds", "kitchen", "kitchen.yaml"))).toBe(false);
  });

  it("never runs two jobs in one device folder at once", async () => {
    await setup();
    const a = assign("kitchen", { yaml: deviceYaml("kitchen", { knobs: ["sleep-ms=600"] }) });
    const b = assign("kitchen");
    t.fake.send(a);
    t.fake.send(b);
    const ra = await resultOf(a.jobId);
    await resultOf(b.jobId);
    const bCompile = await t.fake.waitFor((m) => m.type === "progress" && m.jobId === b.jobId && m.phase === "compile");
    expect(bCompile.at).toBeGreaterThanOrEqual(ra.at);
  });

  it("releases assignments beyond its slots, and takes more after configure", async () => {
    await setup({}, { slots: 1 });
    const a = assign("kitchen", { yaml: deviceYaml("kitchen", { knobs: ["sleep-ms=800"] }) });
    const b = assign("porch");
    t.fake.send(a);
    t.fake.send(b);
    const rel = await t.fake.waitFor((m) => m.type === "release" && m.jobId === b.jobId);
    expect(rel.type === "release" && rel.reason).toMatch(/no free slot/);
    t.fake.send({ type: "configure", slots: 2, tags: ["fast", "big"] });
    const c = assign("porch");
    t.fake.send(c);
    expect((await resultOf(c.jobId)).outcome).toBe("succeeded");
    expect((await resultOf(a.jobId)).outcome).toBe("succeeded"); // the running job was not disturbed
  });

  it("clean_cache deletes idle build folders and keeps busy ones", async () => {
    const { stateDir, lines } = await setup();
    const idle = assign("kitchen");
    t.fake.send(idle);
    await resultOf(idle.jobId);
    const busy = assign("porch", { yaml: deviceYaml("porch", { knobs: ["hang=compile"] }) });
    t.fake.send(busy);
    await t.fake.waitFor((m) => m.type === "progress" && m.jobId === busy.jobId);
    t.fake.send({ type: "clean_cache" });
    await waitUntil(() => lines.some((l) => l.startsWith("cleaned")), "clean");
    expect(existsSync(path.join(stateDir, "builds", "kitchen"))).toBe(false);
    expect(existsSync(path.join(stateDir, "builds", "porch"))).toBe(true);
    expect(lines.find((l) => l.startsWith("cleaned"))).toMatch(/busy, kept: porch/);
  });

  it("uses the real ESPHome command line when no build command is set (--esphome wrapper around the stand-in)", async () => {
    const dir = tempDir();
    const wrapper = path.join(dir, "esphome");
    writeFileSync(wrapper, `#!/bin/sh\necho "argv: $*"\nexec "${process.execPath}" "${STANDIN_PATH}" "$@"\n`);
    chmodSync(wrapper, 0o755);
    const { stateDir } = await setup({}, { buildCommand: null, esphomeBin: wrapper });
    const job = assign("kitchen", { action: "compile" });
    t.fake.send(job);
    const r = await resultOf(job.jobId);
    expect(r.outcome).toBe("succeeded");
    const config = path.join(stateDir, "builds", "kitchen", "kitchen.yaml");
    expect(logOf(job.jobId)).toContain(`argv: compile ${config}`);
    // The upload's command line (`esphome upload … --device … --file …`) runs on flashers: esphome-ota.test.ts.
  });
});
