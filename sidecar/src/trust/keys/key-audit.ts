// Cross-checks the key table against the key events in the log: a key slipped into the database, or a
// revocation or rotation quietly undone there, disagrees with the (hash-checked) log and is reported.
import type Database from "better-sqlite3";
import { shortHint } from "../encoding.js";

interface KeyRow {
  hint: string;
  role: string;
  owner: string;
  retired_at: string | null;
  revoked_at: string | null;
}

interface KeyEventBody {
  kind: "key_enrolled" | "key_retired" | "key_revoked";
  hint: string;
  role: string;
  owner: string;
}

export function auditKeys(db: Database.Database): string[] {
  const problems: string[] = [];
  // Select by body, not by the unauthenticated `kind` column; bodies are covered by the leaf hashes.
  const bodies = db
    .prepare(
      `SELECT CAST(body AS TEXT) FROM trust_log_leaves WHERE instr(CAST(body AS TEXT), '"kind":"key_') > 0 ORDER BY idx`,
    )
    .pluck()
    .all() as string[];
  const events = new Map<string, KeyEventBody[]>();
  for (const text of bodies) {
    let e: KeyEventBody;
    try {
      e = JSON.parse(text) as KeyEventBody;
    } catch {
      continue; // a damaged body is already reported by the Merkle audit
    }
    if (!e.kind?.startsWith("key_") || typeof e.hint !== "string") continue;
    events.set(e.hint, [...(events.get(e.hint) ?? []), e]);
  }
  const rows = db.prepare("SELECT hint, role, owner, retired_at, revoked_at FROM trust_keys").all() as KeyRow[];
  for (const r of rows) {
    const label = `${r.role} key ${shortHint(r.hint)} (${r.owner})`;
    const ev = events.get(r.hint) ?? [];
    const enrolled = ev.find((e) => e.kind === "key_enrolled");
    if (!enrolled) problems.push(`${label} is in the key table but its enrolment was never logged`);
    else if (enrolled.role !== r.role || enrolled.owner !== r.owner) {
      problems.push(`${label} was logged as ${enrolled.role} key for ${enrolled.owner}: its role or owner was changed`);
    }
    if (ev.some((e) => e.kind === "key_revoked") && !r.revoked_at)
      problems.push(`${label} was revoked, but the key table no longer says so`);
    if (ev.some((e) => e.kind === "key_retired") && !r.retired_at)
      problems.push(`${label} was rotated out, but the key table no longer says so`);
  }
  return problems;
}
