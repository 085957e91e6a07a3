import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { generateSigningKey } from "../keys/keys.js";
import { signBlob } from "../keys/sign.js";
import { approvedBuild, openHarness, type Harness } from "../../../test-support/trust-fixtures.js";
import { EXIT_ERROR, EXIT_NOT_VERIFIED, EXIT_VERIFIED, verifyCommand } from "./verify-cli.js";

let h: Harness;
let files: Record<string, string>;

beforeEach(async () => {
  h = openHarness();
  const b = await approvedBuild(h);
  if (!b.result.ok) throw new Error("unreachable");
  h.engine.log.appendEvent("ota", { filler: true });
  const approvalEntry = b.result.approval.bundle.verificationMaterial.tlogEntries[0]!;
  const write = (name: string, data: string | Buffer) => {
    const p = join(h.dir, name);
    writeFileSync(p, data);
    return p;
  };
  const tampered = Buffer.from(b.fw.ota);
  tampered[0] = tampered[0]! ^ 0x80;
  files = {
    fw: write("kitchen.ota.bin", b.fw.ota),
    tampered: write("tampered.bin", tampered),
    approval: write("kitchen.ota.bin.sigstore.json", JSON.stringify(b.result.approval.bundle)),
    build: write("kitchen.provenance.sigstore.json", JSON.stringify(b.result.build.bundle)),
    key: write("sidecar.pub", h.engine.sidecarKey.publicPem),
    workerKey: write("worker-1.pub", b.workerKey.publicPem),
    root: write("trusted_root.json", JSON.stringify(h.engine.trustedRootJson())),
    proof: write(
      "proof.json",
      JSON.stringify(h.engine.proof(Number(approvalEntry.logIndex), Number(approvalEntry.inclusionProof!.treeSize))),
    ),
    garbage: write("garbage.json", JSON.stringify(b.result.approval.bundle).slice(0, 300)),
  };
});
afterEach(() => h.close());

async function run(...argv: string[]) {
  let out = "";
  let err = "";
  // Each test remembers revocation lists in its own state file.
  const state = argv.length > 1 && !argv.includes("--state") ? ["--state", join(h.dir, "verify-state.json")] : [];
  const code = await verifyCommand([...argv, ...state], {
    out: (s) => (out += s),
    err: (s) => (err += s),
    now: h.clock.now,
  });
  return { code, out, err };
}

describe("esphome-forge verify", () => {
  it("verifies an approved firmware offline, with worker provenance and a log proof", async () => {
    const r = await run(
      files.fw!,
      "--bundle",
      files.approval!,
      "--key",
      files.key!,
      "--trusted-root",
      files.root!,
      "--device",
      "kitchen",
      "--no-revocation-check",
      "--allow-rollback",
    );
    expect(r.code).toBe(EXIT_VERIFIED);
    expect(r.out).toMatch(/^VERIFIED \(without a revocation check, rollback allowed\) {2}.*kitchen\.ota\.bin/);
    expect(r.out).toMatch(/build: {4}#1 for kitchen, ESPHome 2026\.4\.2/);

    const full = await run(
      files.fw!,
      "--bundle",
      files.approval!,
      "--bundle",
      files.build!,
      "--key",
      files.key!,
      "--worker-key",
      `worker-1=${files.workerKey}`,
      "--trusted-root",
      files.root!,
      "--device",
      "kitchen",
      "--proof",
      files.proof!,
      "--no-revocation-check",
      "--min-build-sequence",
      "1",
      "--json",
    );
    expect(full.code).toBe(EXIT_VERIFIED);
    const json = JSON.parse(full.out);
    expect(json).toMatchObject({
      state: "verified",
      buildSequence: 1,
      logIndexes: [expect.any(Number), expect.any(Number)],
    });
    expect(json.notes.join("\n")).toMatch(
      /log proof: entry \d+ is included in the signed log head of size \d+, and that head extends/,
    );
  });

  it("is strict by default: no device, revocation list or rollback floor is NOT VERIFIED (INCOMPLETE)", async () => {
    const base = [files.fw!, "--bundle", files.approval!, "--key", files.key!, "--trusted-root", files.root!];
    const r = await run(...base);
    expect(r.code).toBe(EXIT_NOT_VERIFIED);
    expect(r.out).toMatch(/^NOT VERIFIED \(INCOMPLETE\)/);
    expect(r.out).toMatch(
      /VERIFIED needs --device .*the approval names "kitchen".*--revocations with --revocation-key, or --no-revocation-check; --min-build-sequence/,
    );
    const noFloor = await run(...base, "--device", "kitchen", "--no-revocation-check");
    expect(noFloor.code).toBe(EXIT_NOT_VERIFIED);
    expect(noFloor.out).toMatch(
      /VERIFIED needs --min-build-sequence \(the build the device runs\), or --allow-rollback$/m,
    );
    expect(
      (await run(...base, "--device", "kitchen", "--no-revocation-check", "--min-build-sequence", "1")).out,
    ).toMatch(/^VERIFIED \(without a revocation check\) /);
  });

  it("says why a firmware is not verified, with exit code 1", async () => {
    const cases: [string[], RegExp][] = [
      [
        [files.tampered!, "--bundle", files.approval!, "--key", files.key!, "--trusted-root", files.root!],
        /NOT VERIFIED \(INVALID\)[\s\S]*altered after signing/,
      ],
      [
        [
          files.fw!,
          "--bundle",
          files.approval!,
          "--key",
          files.key!,
          "--trusted-root",
          files.root!,
          "--device",
          "garage",
        ],
        /approval is for device "kitchen", not "garage"/,
      ],
      [
        [files.fw!, "--bundle", files.garbage!, "--key", files.key!, "--trusted-root", files.root!],
        /NOT VERIFIED \(INVALID\)[\s\S]*not valid JSON/,
      ],
      [
        [files.fw!, "--bundle", files.approval!, "--key", files.workerKey!, "--trusted-root", files.root!],
        /NOT VERIFIED \(UNKNOWN SIGNER\)[\s\S]*not enrolled/,
      ],
      [[files.fw!, "--bundle", files.approval!, "--key", files.key!], /UNKNOWN SIGNER[\s\S]*not in the trusted root/],
      [
        [
          files.fw!,
          "--bundle",
          files.approval!,
          "--key",
          files.key!,
          "--trusted-root",
          files.root!,
          "--min-build-sequence",
          "2",
        ],
        /rollback refused/,
      ],
    ];
    for (const [argv, expected] of cases) {
      const r = await run(...argv);
      expect(r.code, argv.join(" ")).toBe(EXIT_NOT_VERIFIED);
      expect(r.out).toMatch(expected);
    }
  });

  it("checks a revocation list verified with a pinned key", async () => {
    const list = await h.engine.publishRevocations(
      [{ kind: "worker", workerId: "worker-1", reason: "decommissioned" }],
      86_400_000,
    );
    const listFile = join(h.dir, "revocations.json");
    const rkey = join(h.dir, "revocation.pub");
    writeFileSync(listFile, JSON.stringify(list.bundle));
    writeFileSync(rkey, h.engine.revocationKey.publicPem);
    const r = await run(
      files.fw!,
      "--bundle",
      files.approval!,
      "--key",
      files.key!,
      "--trusted-root",
      files.root!,
      "--revocations",
      listFile,
      "--revocation-key",
      rkey,
    );
    expect(r.code).toBe(EXIT_NOT_VERIFIED);
    expect(r.out).toMatch(/NOT VERIFIED \(REVOKED\)[\s\S]*worker worker-1 is revoked: decommissioned/);

    // A newer list (the worker un-revoked) verifies; after that, the older list is refused as a rollback.
    const v2 = await h.engine.publishRevocations([], 86_400_000);
    const v2File = join(h.dir, "revocations-v2.json");
    writeFileSync(v2File, JSON.stringify(v2.bundle));
    const ok = [files.fw!, "--bundle", files.approval!, "--key", files.key!, "--trusted-root", files.root!];
    const strict = ["--device", "kitchen", "--min-build-sequence", "1", "--revocation-key", rkey];
    expect((await run(...ok, ...strict, "--revocations", v2File)).out).toMatch(/^VERIFIED {2}/);
    const replay = await run(...ok, ...strict, "--revocations", listFile);
    expect(replay.code).toBe(EXIT_NOT_VERIFIED);
    expect(replay.out).toMatch(/REVOCATION LIST ROLLBACK[\s\S]*version 1, older than version 2 seen before/);
    const floor = await run(
      ...ok,
      ...strict,
      "--revocations",
      v2File,
      "--min-revocation-version",
      "3",
      "--state",
      join(h.dir, "fresh.json"),
    );
    expect(floor.code).toBe(EXIT_NOT_VERIFIED);
    expect(floor.out).toMatch(/older than version 3 required by --min-revocation-version/);
    const wrongKey = await run(
      files.fw!,
      "--bundle",
      files.approval!,
      "--key",
      files.key!,
      "--revocations",
      listFile,
      "--revocation-key",
      files.key!,
    );
    expect(wrongKey.code).toBe(EXIT_ERROR);
  });

  it("verifies a cosign-style blob signature made outside Forge with the pinned key", async () => {
    const ci = generateSigningKey();
    const fw = Buffer.from("firmware built in CI");
    writeFileSync(join(h.dir, "ci.bin"), fw);
    writeFileSync(join(h.dir, "ci.bin.sigstore.json"), JSON.stringify(signBlob(fw, ci)));
    writeFileSync(join(h.dir, "ci.pub"), ci.publicPem);
    const args = [
      join(h.dir, "ci.bin"),
      "--bundle",
      join(h.dir, "ci.bin.sigstore.json"),
      "--device",
      "kitchen",
      "--no-revocation-check",
      "--allow-rollback",
    ];
    expect((await run(...args, "--key", join(h.dir, "ci.pub"))).code).toBe(EXIT_VERIFIED);
    expect((await run(...args, "--key", files.key!)).out).toMatch(/UNKNOWN SIGNER/);
    writeFileSync(join(h.dir, "ci.bin"), Buffer.from("firmware built in CI!"));
    expect((await run(...args, "--key", join(h.dir, "ci.pub"))).out).toMatch(/INVALID[\s\S]*altered after signing/);
  });

  it("exits 2 on usage and I/O errors", async () => {
    expect((await run()).code).toBe(EXIT_ERROR);
    expect((await run(files.fw!)).code).toBe(EXIT_ERROR);
    expect((await run(files.fw!, "--bundle", files.approval!)).err).toMatch(/no trust anchor/);
    expect((await run(join(h.dir, "missing.bin"), "--bundle", files.approval!, "--key", files.key!)).err).toMatch(
      /cannot read firmware .*ENOENT/,
    );
    expect((await run(files.fw!, "--bundle", files.approval!, "--key", files.garbage!)).code).toBe(EXIT_ERROR);
    expect(
      (await run(files.fw!, "--bundle", files.approval!, "--key", files.key!, "--trusted-root", files.garbage!)).code,
    ).toBe(EXIT_ERROR);
    expect((await run(files.fw!, "--bundle", files.approval!, "--bogus")).code).toBe(EXIT_ERROR);
    expect((await run("--help")).code).toBe(EXIT_VERIFIED);
  });
});
