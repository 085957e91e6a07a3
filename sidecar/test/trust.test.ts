// Content trust end to end with a real sidecar and a real worker process (stand-in build): a signed
// and approved compile_upload, offline verification of the downloadable approval with the CLI, and
// the upload gate refusing revoked, tampered and unapproved firmware — with nothing flashed.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Device, Job } from "@esphome-forge/shared";
import type { Api } from "../src/devtools/api-client.js";
import { runCli, tempDir, waitFor, type SidecarProc } from "../src/devtools/processes.js";
import {
  otaImageOf as otaOf,
  settledJob,
  standinFlashes,
  startFleetWithWorker,
  type WorkerProc,
} from "../test-support/fleet-jobs.js";

let sc: SidecarProc;
let api: Api;
let flasher: WorkerProc;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ sc, api, flasher, stop } = await startFleetWithWorker(["kitchen", "porch", "garage"], "signer"));
});
afterAll(() => stop?.());

async function run(action: Job["action"], device: string, params: Record<string, unknown> = {}): Promise<Job> {
  const r = await api.createJobs({ action, targets: { devices: [device] }, params });
  return settledJob(api, r.jobs[0]!.jobId);
}

/** Lines the stand-in wrote for every flash of this device on the worker. */
const flashes = (device: string) => standinFlashes(flasher, device);

describe("content trust", () => {
  let kitchenSha = "";

  it("enrols the worker's key, approves the build, flashes it verified, and the approval verifies offline", async () => {
    const keys = await api.json<{ keys: { role: string; owner: string; publicKey: string }[] }>("GET", "/trust/keys");
    expect(keys.keys.some((k) => k.role === "worker")).toBe(true);

    const job = await run("compile_upload", "kitchen");
    expect(job.state, job.error ?? "").toBe("succeeded");
    expect(flashes("kitchen")).toBe(1);
    kitchenSha = otaOf(job);
    const log = await api.log(job.id);
    expect(log).toContain("build approved");
    expect(log).toContain("the flash waits for a flasher (never the builder)");
    expect(log).toContain("recorded before it starts");
    expect(job).toMatchObject({ step: "flash", flashSha256: otaOf(job) });

    const device = await api.json<Device>("GET", "/devices/kitchen");
    expect(device.trust.pending).toMatchObject({ state: "verified", firmwareSha256: kitchenSha, buildSequence: 1 });
    expect(device.trust.running).toMatchObject({ state: "verified", firmwareSha256: kitchenSha });

    // Everything an outsider needs, downloaded once, then checked with no sidecar involved.
    const dir = tempDir("forge-verify-");
    const bundle = await api.raw("GET", `/trust/approvals/${kitchenSha}?device=kitchen`);
    expect(bundle.status).toBe(200);
    writeFileSync(join(dir, "approval.json"), await bundle.text());
    writeFileSync(
      join(dir, "fw.bin"),
      Buffer.from(await (await api.raw("GET", `/firmware/${kitchenSha}`)).arrayBuffer()),
    );
    writeFileSync(join(dir, "root.json"), await (await api.raw("GET", "/trust/root")).text());
    writeFileSync(join(dir, "sidecar.pem"), keys.keys.find((k) => k.role === "sidecar")!.publicKey);
    const args = [
      "verify",
      join(dir, "fw.bin"),
      "--bundle",
      join(dir, "approval.json"),
      "--key",
      join(dir, "sidecar.pem"),
      "--trusted-root",
      join(dir, "root.json"),
      "--no-revocation-check",
      "--min-build-sequence",
      "1",
      "--device",
      "kitchen",
    ];
    const ok = await runCli(args);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toMatch(/^VERIFIED \(without a revocation check\) /);
    expect(ok.out).toMatch(/build:\s+#1 for kitchen/);
    // The same approval presented for another device is not proof for it.
    const other = await runCli([...args.slice(0, -1), "porch"]);
    expect(other.code, other.out).toBe(1);
    // One flipped byte and the same bundle no longer vouches for the file.
    const fw = readFileSync(join(dir, "fw.bin"));
    fw[100]! ^= 0xff;
    writeFileSync(join(dir, "fw.bin"), fw);
    expect((await runCli(args)).code).toBe(1);

    const cp = await api.json<{ treeSize: number }>("GET", "/trust/log/checkpoint");
    expect(cp.treeSize).toBeGreaterThan(2);
    expect((await api.raw("GET", `/trust/log/proof/${cp.treeSize - 1}`)).status).toBe(200);
  });

  it("a revoked artifact is blocked under enforce with a clear error and never flashed; warn mode flashes and records it", async () => {
    const before = flashes("kitchen");
    const rev = await api.json<{ version: number }>("POST", "/trust/revocations", {
      entries: [{ kind: "artifact", sha256: kitchenSha, reason: "found a bad sensor driver" }],
    });
    expect(rev.version).toBe(1);
    await waitFor(
      async () => (await api.json<Device>("GET", "/devices/kitchen")).trust.pending.state === "revoked",
      "pending state revoked",
    );

    const blocked = await run("upload", "kitchen", { firmwareSha256: kitchenSha });
    expect(blocked.state).toBe("failed");
    expect(blocked.error).toMatch(/content trust blocked the upload: .*revoked.*found a bad sensor driver/);
    expect(flashes("kitchen")).toBe(before);

    await api.json("PATCH", "/settings", { trustPolicy: "warn" });
    try {
      const warned = await run("upload", "kitchen", { firmwareSha256: kitchenSha });
      expect(warned.state, warned.error ?? "").toBe("succeeded");
      expect(await api.log(warned.id)).toMatch(/warn mode.*revoked/);
      expect(flashes("kitchen")).toBe(before + 1);
    } finally {
      await api.json("PATCH", "/settings", { trustPolicy: "enforce" });
    }
    const exported = await api.json<{ version: number; bundle: unknown }>("GET", "/trust/revocations");
    expect(exported.version).toBe(1);
  });

  it("firmware altered in the archive is refused at the gate, nothing flashed", async () => {
    const built = await run("compile", "porch");
    expect(built.state, built.error ?? "").toBe("succeeded");
    const sha = otaOf(built);
    const file = join(sc.dataDir, "firmware", sha.slice(0, 2), sha);
    const bytes = readFileSync(file);
    bytes[bytes.length - 1]! ^= 0x01;
    writeFileSync(file, bytes);
    const job = await run("upload", "porch", { firmwareSha256: sha });
    expect(job.state).toBe("failed");
    expect(job.error).toMatch(/content trust blocked the upload: .*invalid/);
    expect(flashes("porch")).toBe(0);
  });

  it("compile_upload of a revoked config is built but refused before the flash", async () => {
    const device = await api.json<Device>("GET", "/devices/garage");
    await api.json("POST", "/trust/revocations", {
      entries: [{ kind: "config", sha256: device.configHash, reason: "leaked secrets in this config" }],
    });
    const job = await run("compile_upload", "garage");
    expect(job.state).toBe("failed");
    // Refused when the build is approved: it never reaches a flasher.
    expect(job.phase).toBe("compile");
    expect(job.step).toBe("build");
    expect(job.error).toMatch(/leaked secrets in this config/);
    expect(flashes("garage")).toBe(0);
  });
});
