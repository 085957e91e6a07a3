// Cross-checks the key table against the key events in the log: a key slipped into the database, or a
// revocation or rotation quietly undone there, disagrees with the (hash-checked) log and is reported.
// The log audit folds every key event it reads into a summary (kept with the audited point, so the
// next audit goes on from there) and compares the key table with it at the end.
import type Database from "better-sqlite3";
import { shortHint } from "../encoding.js";

export interface KeyRow {
  hint: string;
  role: string;
  owner: string;
  retired_at: string | null;
  revoked_at: string | null;
}

/** What the log says about each key hint: its (first) enrolment, and whether it was rotated out or revoked. */
export type KeyEventSummary = Map<string, KeyHistory>;
export interface KeyHistory {
  enrolled: { role: string; owner: string } | null;
  retired: boolean;
  revoked: boolean;
}

interface KeyEventBody {
  kind: "key_enrolled" | "key_retired" | "key_revoked";
  hint: string;
  role: string;
  owner: string;
}

const KEY_EVENT = Buffer.from('"kind":"key_');

/** Adds a log entry to the summary when its body (covered by the leaf hash) is a key event. */
export function foldKeyEvent(summary: KeyEventSummary, body: Buffer): void {
  // Recognised by body, not by the unauthenticated `kind` column.
  if (!body.includes(KEY_EVENT)) return;
  let e: KeyEventBody;
  try {
    e = JSON.parse(body.toString("utf8")) as KeyEventBody;
  } catch {
    return; // a damaged body is already reported by the Merkle audit
  }
  if (!e.kind?.startsWith("key_") || typeof e.hint !== "string") return;
  let s = summary.get(e.hint);
  if (!s) summary.set(e.hint, (s = { enrolled: null, retired: false, revoked: false }));
  if (e.kind === "key_enrolled") s.enrolled ??= { role: e.role, owner: e.owner };
  if (e.kind === "key_retired") s.retired = true;
  if (e.kind === "key_revoked") s.revoked = true;
}

export function readKeyTable(db: Database.Database): KeyRow[] {
  return db.prepare("SELECT hint, role, owner, retired_at, revoked_at FROM trust_keys").all() as KeyRow[];
}

export function checkKeyTable(rows: readonly KeyRow[], events: KeyEventSummary): string[] {
  const problems: string[] = [];
  for (const r of rows) {
    const label = `${r.role} key ${shortHint(r.hint)} (${r.owner})`;
    const ev = events.get(r.hint);
    const enrolled = ev?.enrolled;
    if (!enrolled) problems.push(`${label} is in the key table but its enrolment was never logged`);
    else if (enrolled.role !== r.role || enrolled.owner !== r.owner) {
      problems.push(`${label} was logged as ${enrolled.role} key for ${enrolled.owner}: its role or owner was changed`);
    }
    if (ev?.revoked && !r.revoked_at) problems.push(`${label} was revoked, but the key table no longer says so`);
    if (ev?.retired && !r.retired_at) problems.push(`${label} was rotated out, but the key table no longer says so`);
  }
  return problems;
}
