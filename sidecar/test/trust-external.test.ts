// Firmware signed outside Forge (a CI release signed with a cosign key, `sign-blob --bundle` format)
// through the real sidecar and a real worker process: refused until an explicit policy names the
// signer, then flashed verified — only on the devices the policy covers, only the exact bytes signed,
// and no longer once the signer key is revoked.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Device, Job, TrustVerdict } from "@esphome-forge/shared";
import type { Api } from "../src/devtools/api-client.js";
import { waitFor } from "../src/devtools/processes.js";
import { generateSigningKey } from "../src/trust/keys/keys.js";
import { signBlob } from "../src/trust/keys/sign.js";
import { settledJob, standinFlashes, startFleetWithWorker, type WorkerProc } from "../test-support/fleet-jobs.js";

let api: Api;
let flasher: WorkerProc;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ api, flasher, stop } = await startFleetWithWorker(["kitchen", "porch"]));
});
afterAll(() => stop?.());

const upload = async (device: string, sha: string): Promise<Job> =>
  settledJob(
    api,
    (await api.createJobs({ action: "upload", targets: { devices: [device] }, params: { firmwareSha256: sha } }))
      .jobs[0]!.jobId,
  );
const flashes = (device: string) => standinFlashes(flasher, device);
async function send(
  deviceId: string,
  bytes: Buffer,
  bundle: unknown,
): Promise<{
  status: number;
  body: { firmware: { sha256: string }; verdict: TrustVerdict; error?: { message: string } };
}> {
  const res = await api.raw("POST", "/trust/external-firmware", {
    deviceId,
    firmware: bytes.toString("base64"),
    bundle,
  });
  return { status: res.status, body: (await res.json()) as never };
}

describe("firmware signed in CI", () => {
  const ci = generateSigningKey();
  // Larger than the 256 kB every other JSON body is limited to, once base64-encoded.
  const fw = randomBytes(400_000);
  const bundle = signBlob(fw, ci);
  let sha = "";

  it("is archived but refused without a policy naming its signer", async () => {
    const r = await send("kitchen", fw, bundle);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    sha = r.body.firmware.sha256;
    expect(r.body.verdict).toMatchObject({ state: "unknown_signer", firmwareSha256: sha });
    expect(r.body.verdict.reason).toMatch(/no external signer policy covers kitchen/);
    const job = await upload("kitchen", sha);
    expect(job.state).toBe("failed");
    expect(job.error).toMatch(
      /content trust blocked the upload: firmware [0-9a-f]{12}… is unknown signer: .*no external signer policy/,
    );
    expect(job.trust).toMatchObject({ state: "unknown_signer", outcome: "blocked" });
    expect(flashes("kitchen")).toBe(0);
  });

  it("refuses malformed policies and uploads with a clear reason", async () => {
    const bad = async (path: string, method: string, body: unknown, re: RegExp) => {
      const res = await api.raw(method, path, body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(re);
    };
    await bad(
      "/trust/external-signers",
      "PUT",
      { signers: [{ name: "CI", publicKey: "not a key" }] },
      /external signer "CI": publicKey is not a P-256 public key/,
    );
    await bad(
      "/trust/external-signers",
      "PUT",
      { signers: [{ name: "CI", keyless: { issuer: "https://issuer.example", subjectPattern: "x" } }] },
      /keyless policy needs the trustedRoot/,
    );
    await bad(
      "/trust/external-signers",
      "PUT",
      { signers: [{ name: "CI", publicKey: ci.publicPem, keyless: { issuer: "i", subjectPattern: "x" } }] },
      /exactly one of publicKey or keyless/,
    );
    await bad(
      "/trust/external-firmware",
      "POST",
      { deviceId: "kitchen", firmware: fw.toString("base64"), bundle: { mediaType: "nonsense" } },
      /^external bundle: /,
    );
    await bad(
      "/trust/external-firmware",
      "POST",
      { deviceId: "kitchen", firmware: "%%% not base64", bundle },
      /base64/,
    );
    expect((await api.json<{ signers: unknown[] }>("GET", "/trust/external-signers")).signers).toEqual([]);
  });

  it("flashes verified once a policy names the key, only on the devices it covers and only the exact bytes", async () => {
    const set = await api.json<{ signers: { name: string }[] }>("PUT", "/trust/external-signers", {
      signers: [{ name: "CI release", publicKey: ci.publicPem, devices: ["kitchen"] }],
    });
    expect(set.signers.map((s) => s.name)).toEqual(["CI release"]);
    await waitFor(
      async () => (await api.json<Device>("GET", "/devices/kitchen")).trust.pending !== undefined,
      "device view",
    );

    const job = await upload("kitchen", sha);
    expect(job.state, job.error ?? "").toBe("succeeded");
    expect(job.trust).toMatchObject({ state: "verified", outcome: "allowed", firmwareSha256: sha });
    expect(job.trust?.signer).toMatch(/^CI release: /);
    expect(flashes("kitchen")).toBe(1);
    expect((await api.json<Device>("GET", "/devices/kitchen")).trust.running).toMatchObject({
      state: "verified",
      firmwareSha256: sha,
    });

    // The same CI bundle presented for a device the policy does not cover.
    const porch = await send("porch", fw, bundle);
    expect(porch.body.verdict.state).toBe("unknown_signer");
    const onPorch = await upload("porch", sha);
    expect(onPorch.state).toBe("failed");
    expect(onPorch.error).toMatch(/no external signer policy covers porch/);
    expect(flashes("porch")).toBe(0);

    // Bytes other than the ones signed, with the same bundle.
    const altered = Buffer.from(fw);
    altered[1234]! ^= 0x01;
    const tampered = await send("kitchen", altered, bundle);
    expect(tampered.body.verdict.state).toBe("invalid");
    const job2 = await upload("kitchen", tampered.body.firmware.sha256);
    expect(job2.state).toBe("failed");
    expect(job2.error).toMatch(/content trust blocked the upload: .* is invalid: external bundle: /);
    expect(flashes("kitchen")).toBe(1);
  });

  it("revoking the CI key blocks its firmware and turns the running verdict revoked", async () => {
    await api.json("POST", "/trust/revocations", {
      entries: [{ kind: "signer", keyHint: ci.hint, reason: "CI key leaked" }],
    });
    await waitFor(
      async () => (await api.json<Device>("GET", "/devices/kitchen")).trust.running.state === "revoked",
      "kitchen revoked",
    );
    const job = await upload("kitchen", sha);
    expect(job.state).toBe("failed");
    expect(job.error).toMatch(/is revoked: .*CI key leaked/);
    expect(flashes("kitchen")).toBe(1);
  });
});
