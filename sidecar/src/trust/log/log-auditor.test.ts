import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { auditInSlices, auditLog } from "./log-audit.js";
import { leafHash, nodeHash } from "./merkle.js";
import { approvedBuild, openHarness, type Harness } from "../../../test-support/trust-fixtures.js";

let h: Harness;
beforeEach(() => {
  h = openHarness();
});
afterEach(() => h.close());

const fill = (n: number, tag = "x") => {
  for (let i = 0; i < n; i++) h.engine.log.appendEvent("ota", { deviceId: `d${i % 5}`, tag, n: i });
};
const logKeys = () => h.engine.trustedRoot().logKeys;
const problems = (a: { problems: string[] }) => a.problems.join("\n");

/** Recomputes every stored subtree hash from the stored leaf hashes, as an attacker covering an edit would. */
function rehashNodes(): void {
  let level = (h.db.prepare("SELECT leaf_hash FROM trust_log_leaves ORDER BY idx").pluck().all() as Buffer[]).slice();
  const put = h.db.prepare("UPDATE trust_log_nodes SET hash = ? WHERE level = ? AND idx = ?");
  for (let l = 1; level.length > 1; l++) {
    const up: Buffer[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) {
      up.push(nodeHash(level[i]!, level[i + 1]!));
      put.run(up[up.length - 1], l, i / 2);
    }
    level = up;
  }
}

describe("log auditor", () => {
  it("goes on from the last clean audit: the start-up check covers only what was appended since", async () => {
    fill(40);
    const first = h.engine.auditor.incremental(); // nothing recorded yet: a full audit starts in slices
    expect(first).toBeNull();
    await h.engine.auditor.settled();
    const size = h.engine.log.size();
    expect(h.engine.auditor.last).toMatchObject({ ok: true, scope: "full", fromTreeSize: 0, treeSize: size });
    fill(7);
    const next = h.engine.auditor.incremental();
    expect(next).toMatchObject({ ok: true, scope: "incremental", fromTreeSize: size, treeSize: size + 7 });
    expect(h.engine.auditor.incremental()).toMatchObject({ ok: true, fromTreeSize: size + 7, treeSize: size + 7 });
    // The same from a recheck, spread over event-loop turns.
    fill(3);
    expect(await h.engine.auditor.recheck()).toMatchObject({
      ok: true,
      scope: "incremental",
      fromTreeSize: size + 7,
      treeSize: size + 10,
    });
  });

  it("finds an entry edited after the audited point, and does not move past it until it is fixed", async () => {
    fill(20);
    await h.engine.auditor.full();
    const from = h.engine.log.size();
    fill(10);
    const original = h.db
      .prepare("SELECT body FROM trust_log_leaves WHERE idx = ?")
      .pluck()
      .get(from + 3) as Buffer;
    h.db.prepare("UPDATE trust_log_leaves SET body = ? WHERE idx = ?").run(Buffer.from('{"forged":1}'), from + 3);
    const a = h.engine.auditor.incremental()!;
    expect(a).toMatchObject({ ok: false, scope: "incremental", fromTreeSize: from });
    expect(problems(a)).toMatch(new RegExp(`entry ${from + 3} was modified`));
    expect(problems(h.engine.auditor.incremental()!)).toMatch(new RegExp(`entry ${from + 3} was modified`));
    h.db.prepare("UPDATE trust_log_leaves SET body = ? WHERE idx = ?").run(original, from + 3);
    expect(h.engine.auditor.incremental()).toMatchObject({ ok: true, fromTreeSize: from });
  });

  it("notices hashes changed before the audited point (the stored tree no longer gives the audited root) and a shrunk log", async () => {
    fill(33);
    await h.engine.auditor.full();
    const size = h.engine.log.size();
    // A thorough attacker rewrites an old leaf and every stored subtree above it, consistently.
    const body = Buffer.from('{"kind":"ota","forged":true}');
    h.db.prepare("UPDATE trust_log_leaves SET body = ?, leaf_hash = ? WHERE idx = 4").run(body, leafHash(body));
    rehashNodes();
    const afterEdit = h.engine.auditor.incremental()!;
    expect(problems(afterEdit)).toMatch(/entries before \d+ were changed after they were audited/);
    // Rows deleted at the end: the log is shorter than what was audited.
    h.db.prepare("DELETE FROM trust_log_leaves WHERE idx >= ?").run(size - 2);
    expect(problems(h.engine.auditor.incremental()!)).toMatch(
      new RegExp(`the log has ${size - 2} entries, but ${size} were audited`),
    );
  });

  it("leaves an old body edit with untouched hashes to the full audit, which finds it", async () => {
    fill(25);
    await h.engine.auditor.full();
    h.db.prepare("UPDATE trust_log_leaves SET body = ? WHERE idx = 6").run(Buffer.from('{"kind":"ota","n":999}'));
    expect(h.engine.auditor.incremental()).toMatchObject({ ok: true, scope: "incremental" });
    const full = await h.engine.auditor.full();
    expect(full).toMatchObject({ ok: false, scope: "full" });
    expect(problems(full)).toMatch(/entry 6 was modified/);
  });

  it("checks the key table against key events logged before the audited point too", async () => {
    const { workerKey } = await approvedBuild(h);
    h.engine.keys.revoke(workerKey.hint, "lost");
    fill(5);
    await h.engine.auditor.full();
    h.db.prepare("UPDATE trust_keys SET revoked_at = NULL WHERE hint = ?").run(workerKey.hint);
    expect(problems(h.engine.auditor.incremental()!)).toMatch(/was revoked, but the key table no longer says so/);
  });

  it("spreads a full audit over event-loop turns without reporting what is appended meanwhile", async () => {
    fill(3000);
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const audit = auditInSlices(h.db, { logKeys: logKeys() }, null, 1);
    // The log keeps growing while the audit runs: those entries are the next audit's.
    const appender = setInterval(() => fill(3, "late"), 0);
    const result = await audit;
    clearInterval(ticker);
    clearInterval(appender);
    expect(turns).toBeGreaterThan(1);
    expect(result).toMatchObject({ ok: true, problems: [] });
    expect(result.treeSize).toBeGreaterThanOrEqual(3000);
    // Same answer as in one go, on the same rows.
    expect(auditLog(h.db, { logKeys: logKeys() })).toMatchObject({ ok: true });
  });
});
