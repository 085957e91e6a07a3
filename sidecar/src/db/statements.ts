// Prepared statements kept per connection, by their SQL. Preparing parses and plans the SQL (0.1–0.5 ms),
// and the paths a fleet build runs for every job — approval, completion, enrolment views, alerts — had
// prepared the same SQL again on every call: about 1 s of the sidecar's CPU in one 2,000-device build.
// A statement's mode (pluck, raw) stays set on it, so a plucked one is kept apart from the plain one.
import type Database from "better-sqlite3";

type Statements = Map<string, Database.Statement>;
const KEPT = Symbol("forge.preparedStatements");

/** The connection's prepared statement for `sql` (prepared on first use); `pluck` returns a row's first column. */
export function cachedStatement(
  db: Database.Database,
  sql: string,
  mode: "rows" | "pluck" = "rows",
): Database.Statement {
  const holder = db as Database.Database & { [KEPT]?: Statements };
  const kept = (holder[KEPT] ??= new Map());
  const key = mode === "pluck" ? `pluck:${sql}` : sql;
  let s = kept.get(key);
  if (!s) {
    s = db.prepare(sql);
    if (mode === "pluck") s.pluck();
    kept.set(key, s);
  }
  return s;
}
