import { describe, expect, it } from "vitest";
import { openDatabase } from "./database.js";
import { cachedStatement } from "./statements.js";

describe("cachedStatement", () => {
  it("prepares each SQL once per connection, keeping plucked statements apart", () => {
    const db = openDatabase(":memory:");
    db.exec("CREATE TABLE t (a INTEGER, b TEXT); INSERT INTO t VALUES (1, 'x')");
    const sql = "SELECT a, b FROM t WHERE a = ?";
    const rows = cachedStatement(db, sql);
    expect(cachedStatement(db, sql)).toBe(rows);
    const plucked = cachedStatement(db, sql, "pluck");
    expect(plucked).not.toBe(rows);
    expect(plucked.get(1)).toBe(1);
    expect(rows.get(1)).toEqual({ a: 1, b: "x" }); // the plucked one did not change it
    const other = openDatabase(":memory:");
    other.exec("CREATE TABLE t (a INTEGER, b TEXT)");
    expect(cachedStatement(other, sql)).not.toBe(rows);
    db.close();
    other.close();
  });
});
