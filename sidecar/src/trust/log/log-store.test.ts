import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bundleFromJSON } from "@sigstore/bundle";
import { verifyCheckpoint } from "./checkpoint.js";
import { generateSigningKey } from "../keys/keys.js";
import { auditLog } from "./log-audit.js";
import { exportProof, verifyProofFile } from "./log-proof.js";
import { leafHash, rootFromLeafHashes, verifyConsistency, verifyInclusion } from "./merkle.js";
import { approvedBuild, openHarness, type Harness } from "../../../test-support/trust-fixtures.js";

let h: Harness;
beforeEach(() => {
  h = openHarness();
});
afterEach(() => h.close());

const logKeys = () => h.engine.trustedRoot().logKeys;

function fill(n: number): Buffer[] {
  const bodies: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const e = h.engine.log.appendEvent("ota", { deviceId: `d${i % 7}`, n: i });
    bodies.push(e.body);
  }
  return bodies;
}

describe("transparency log", () => {
  it("computes RFC 6962 roots and proofs from stored nodes that match a from-scratch computation", () => {
    const start = h.engine.log.size(); // key enrolment events are already logged
    fill(37);
    const all = h.db.prepare("SELECT body FROM trust_log_leaves ORDER BY idx").pluck().all() as Buffer[];
    const leaves = all.map(leafHash);
    expect(all.length).toBe(start + 37);
    for (const size of [1, 2, 3, 8, 13, 32, leaves.length]) {
      const root = h.engine.log.root(size);
      expect(root.equals(rootFromLeafHashes(leaves.slice(0, size)))).toBe(true);
      for (const i of [0, size - 1, Math.floor(size / 2)]) {
        const p = h.engine.log.inclusionProof(i, size);
        expect(verifyInclusion(i, size, leaves[i]!, p.hashes, root)).toBe(true);
      }
      const c = h.engine.log.consistencyProof(size, leaves.length);
      expect(verifyConsistency(size, leaves.length, root, h.engine.log.root(), c)).toBe(true);
    }
  });

  it("signs checkpoints as C2SP notes that verify with the log key only", () => {
    fill(5);
    const cp = h.engine.log.checkpoint();
    const lines = cp.envelope.split("\n");
    expect(lines[0]).toMatch(/^esphome-forge-log - \d+$/);
    expect(Number(lines[1])).toBe(h.engine.log.size());
    expect(lines[4]).toMatch(/^\u2014 esphome-forge-log \S+$/);
    expect(verifyCheckpoint(cp.envelope, logKeys())).toMatchObject({ ok: true });
    expect(verifyCheckpoint(cp.envelope.replace(`\n${lines[1]}\n`, "\n999\n"), logKeys())).toMatchObject({ ok: false });
    expect(verifyCheckpoint(cp.envelope, [])).toMatchObject({ ok: false });
  });

  it("passes its audit when untouched", async () => {
    await approvedBuild(h);
    fill(20);
    h.engine.log.checkpoint();
    const held = h.engine.log.checkpoint().envelope;
    expect(h.engine.auditLog([held])).toMatchObject({ ok: true, problems: [] });
  });

  it("detects an edited row at the next consistency check", async () => {
    const { result } = await approvedBuild(h);
    if (!result.ok) throw new Error("unreachable");
    fill(10);
    const held = h.engine.log.checkpoint().envelope; // e.g. kept by the HA integration
    const idx = result.build.logIndex!;
    // Rewrite the body of the worker's attestation leaf.
    h.db
      .prepare("UPDATE trust_log_leaves SET body = ? WHERE idx = ?")
      .run(Buffer.from('{"kind":"dsse","forged":true}'), idx);
    const a = h.engine.auditLog([held]);
    expect(a.ok).toBe(false);
    expect(a.problems.join("\n")).toMatch(new RegExp(`entry ${idx} was modified`));
    // An attacker who also rewrites the hashes still cannot match the signed checkpoints.
    const body = Buffer.from('{"kind":"dsse","forged":true}');
    h.db.prepare("UPDATE trust_log_leaves SET leaf_hash = ? WHERE idx = ?").run(leafHash(body), idx);
    const b = h.engine.auditLog([held]);
    expect(b.problems.join("\n")).toMatch(/does not match the entries below it|log history differs/);
  });

  it("detects deleted rows, in the middle and at the end", () => {
    fill(12);
    const held = h.engine.log.checkpoint().envelope;
    const n = h.engine.log.size();
    h.db.prepare("DELETE FROM trust_log_leaves WHERE idx = ?").run(5);
    expect(h.engine.auditLog([held]).problems.join("\n")).toMatch(/entries 5–5 are missing/);
    h.db
      .prepare(
        "INSERT INTO trust_log_leaves SELECT 5, leaf_hash, kind, body, integrated_time FROM trust_log_leaves WHERE idx = 6",
      )
      .run();
    h.db.prepare("DELETE FROM trust_log_leaves WHERE idx = ?").run(n - 1);
    const a = h.engine.auditLog([held]);
    expect(a.ok).toBe(false);
    expect(a.problems.join("\n")).toMatch(new RegExp(`covers ${n} entries but the log has only ${n - 1}`));
    // Deleting the stored checkpoints too does not help: the externally held one still covers n.
    h.db.prepare("DELETE FROM trust_log_checkpoints").run();
    expect(auditLog(h.db, { logKeys: logKeys(), trustedCheckpoints: [held] }).problems.join("\n")).toMatch(
      /entries were deleted/,
    );
  });

  it("detects keys slipped into, changed in, or un-revoked in the key table", async () => {
    const { workerKey } = await approvedBuild(h);
    expect(h.engine.auditLog()).toMatchObject({ ok: true });
    h.engine.keys.revoke(workerKey.hint, "lost");
    h.db.prepare("UPDATE trust_keys SET revoked_at = NULL WHERE hint = ?").run(workerKey.hint);
    h.db.prepare("UPDATE trust_keys SET role = 'sidecar' WHERE role = 'revocation'").run();
    const rogue = generateSigningKey();
    h.db
      .prepare(
        "INSERT INTO trust_keys (hint, role, owner, public_pem, enrolled_at) VALUES (?, 'sidecar', 'sidecar', ?, ?)",
      )
      .run(rogue.hint, rogue.publicPem, new Date().toISOString());
    const problems = h.engine.auditLog().problems.join("\n");
    expect(problems).toMatch(/was revoked, but the key table no longer says so/);
    expect(problems).toMatch(/was logged as revocation key for sidecar: its role or owner was changed/);
    expect(problems).toMatch(/is in the key table but its enrolment was never logged/);
  });

  it("exports inclusion + consistency proofs for a bundle's entry and verifies them", async () => {
    const { result } = await approvedBuild(h);
    if (!result.ok) throw new Error("unreachable");
    fill(9);
    const bundle = bundleFromJSON(result.approval.bundle);
    const entry = bundle.verificationMaterial.tlogEntries[0]!;
    const proof = exportProof(h.engine.log, Number(entry.logIndex), Number(entry.inclusionProof!.treeSize));
    expect(proof.treeSize).toBe(h.engine.log.size());
    expect(proof.hashes.length).toBeLessThanOrEqual(Math.ceil(Math.log2(proof.treeSize)));
    expect(verifyProofFile(proof, bundle, logKeys())).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/extends the size-/),
    });
    // A proof for someone else's leaf, or a head that forks from the bundle's, does not verify.
    expect(verifyProofFile({ ...proof, logIndex: 0 }, bundle, logKeys())).toMatchObject({ ok: false });
    const forked = { ...proof, consistency: { ...proof.consistency!, hashes: proof.consistency!.hashes.slice(1) } };
    expect(verifyProofFile(forked, bundle, logKeys())).toMatchObject({
      ok: false,
      error: expect.stringMatching(/history was rewritten/),
    });
  });
});
