// Content-trust micro-benchmarks for `npm run bench`: signing and verification cost per MB of firmware,
// the 4 MB gate check (target < 10 ms), approval end to end, and the log at 100 000 entries
// (append, proofs — O(log n) — and the full audit), plus approval end to end through a real sidecar
// (bench-approval.ts). Device signing for signed OTA is its own section (ota-signing-bench.ts). Reported,
// never asserted.
import { mkdtempSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { benchApprovalThroughSidecar } from "./trust-approval-bench.js";
import { TrustEngine } from "../trust/engine.js";
import { sha256Hex } from "../trust/encoding.js";
import { evaluateTrust } from "../trust/policy/evaluator.js";
import { generateSigningKey } from "../trust/keys/keys.js";
import { signStatement } from "../trust/keys/sign.js";
import { buildProvenanceStatement, type FirmwareSubject } from "../trust/attest/statements.js";

const MB = 1024 * 1024;

async function timeMs(fn: () => unknown | Promise<unknown>, runs: number): Promise<number> {
  for (let i = 0; i < Math.min(5, runs); i++) await fn(); // warm up
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await fn();
  return (performance.now() - t0) / runs;
}

const round = (n: number): number => Math.round(n * 1000) / 1000;

export async function benchTrust(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), "forge-trust-bench-"));
  const db = new Database(join(dir, "bench.db"));
  db.pragma("journal_mode = WAL");
  const out: Record<string, number> = {};
  try {
    const engine = new TrustEngine({ db, dataDir: dir });
    const worker = generateSigningKey();
    engine.enrolWorkerKey("bench-worker", worker.publicPem);
    const image = (size: number): { bytes: Buffer; subjects: FirmwareSubject[] } => {
      const bytes = randomBytes(size);
      return { bytes, subjects: [{ name: "firmware.ota.bin", sha256: sha256Hex(bytes), size, kind: "ota" }] };
    };
    const facts = (subjects: FirmwareSubject[]) => ({
      deviceId: "bench",
      configSha256: sha256Hex("config"),
      esphomeVersion: "2026.4.2",
      platform: "esp32",
      board: "esp32dev",
      workerId: "bench-worker",
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
      firmware: subjects,
    });
    // What a worker pays: hash the image, sign the provenance statement.
    const workerSign = (bytes: Buffer) =>
      signStatement(
        buildProvenanceStatement(facts([{ name: "firmware.ota.bin", sha256: sha256Hex(bytes), kind: "ota" }])),
        worker,
      );
    const approve = async (img: { bytes: Buffer; subjects: FirmwareSubject[] }) => {
      const r = await engine.approveBuild({
        deviceId: "bench",
        firmware: img.subjects,
        buildBundle: await workerSign(img.bytes),
        expectedConfigSha256: sha256Hex("config"),
        expectedWorkerId: "bench-worker",
      });
      if (!r.ok) throw new Error(r.reason);
      return r;
    };

    for (const size of [1 * MB, 4 * MB]) {
      const img = image(size);
      const a = await approve(img);
      const ctx = engine.context();
      const tag = `${size / MB}MB`;
      out[`worker sign ${tag} (hash + DSSE) ms`] = round(await timeMs(() => workerSign(img.bytes), 20));
      // The gate's check on the exact bytes: hash, approval (+SET, checkpoint, inclusion), provenance.
      out[`gate verify ${tag} (approval + provenance) ms`] = round(
        await timeMs(
          () =>
            evaluateTrust(
              { deviceId: "bench", firmware: { bytes: img.bytes }, approval: a.approval.bundle, build: a.build.bundle },
              ctx,
            ),
          30,
        ),
      );
      out[`gate verify ${tag} (approval only) ms`] = round(
        await timeMs(
          () => evaluateTrust({ deviceId: "bench", firmware: { bytes: img.bytes }, approval: a.approval.bundle }, ctx),
          30,
        ),
      );
      out[`sha256 alone ${tag} ms`] = round(await timeMs(() => sha256Hex(img.bytes), 30));
      // The same through the engine: bundle lookup by digest, key/root/revocation snapshot, decision.
      out[`engine.gate ${tag} (incl. SQLite lookups) ms`] = round(
        await timeMs(() => engine.gate("bench", img.bytes, "enforce"), 30),
      );
    }
    out["sign + verify per MB ms"] = round(
      (out["worker sign 4MB (hash + DSSE) ms"]! + out["gate verify 4MB (approval + provenance) ms"]!) / 4,
    );
    const small = image(64 * 1024);
    out["approval end-to-end (verify worker, log 2 entries, sign) ms"] = round(await timeMs(() => approve(small), 30));

    // The log at 100 000 entries; proofs measured at 1k, 10k and 100k to show the O(log n) growth.
    const log = engine.log;
    const fill = db.transaction((n: number) => {
      for (let i = 0; i < n; i++)
        log.appendEvent("ota", { deviceId: `d${i % 200}`, firmwareSha256: sha256Hex(String(i)), seq: i });
    });
    const t0 = performance.now();
    let filled = log.size();
    for (const target of [1_000, 10_000, 100_000]) {
      fill(target - filled);
      filled = target;
      const n = log.size();
      const idx = () => Math.floor(Math.random() * n);
      out[`log inclusion proof @${target / 1000}k ms`] = round(await timeMs(() => log.inclusionProof(idx(), n), 200));
      out[`log consistency proof @${target / 1000}k ms`] = round(
        await timeMs(() => log.consistencyProof(1 + idx(), n), 200),
      );
    }
    out["log fill to 100k (bulk, one transaction) s"] = round((performance.now() - t0) / 1000);
    out["log append @100k (own transaction) ms"] = round(
      await timeMs(() => log.appendEvent("ota", { deviceId: "x", n: 1 }), 500),
    );
    out["log append + signed checkpoint @100k ms"] = round(
      await timeMs(() => {
        log.appendEvent("ota", { deviceId: "x", n: 2 });
        log.checkpoint();
      }, 200),
    );
    out["log proof hashes @100k"] = log.inclusionProof(12_345).hashes.length;
    const a0 = performance.now();
    const audit = engine.auditLog();
    out["log full audit @100k ms"] = round(performance.now() - a0);
    if (!audit.ok) throw new Error(`audit failed: ${audit.problems.join("; ")}`);
    // The same approval as the fleet sees it: real sidecar and worker processes.
    Object.assign(out, await benchApprovalThroughSidecar());
    return out;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
