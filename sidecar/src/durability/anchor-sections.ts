// The sections of the state anchor that describe the database itself: the highest job id and the
// trust log (size and root). Each says how the database can be behind it, and what --accept-database
// can put back. (The flash ledger's section lives with the ledger: fleet/flash-anchor-section.ts.)
import type { Db } from "../db/database.js";
import { storedRoot } from "../trust/log/log-store.js";
import type { AnchorSection } from "./state-anchor.js";

/** A whole number field of an anchored section (0 when missing or not a number). */
export const anchoredNumber = (v: unknown, key: string): number => {
  const n = (v as Record<string, unknown> | null)?.[key];
  return typeof n === "number" && Number.isSafeInteger(n) ? n : 0;
};

function sequence(db: Db, table: string): number {
  const r = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = ?").get(table) as { seq: number } | undefined;
  return r?.seq ?? 0;
}

export function jobsSection(db: Db): AnchorSection<{ maxId: number }> {
  return {
    name: "jobs",
    current: () => ({ maxId: sequence(db, "jobs") }),
    behind: (anchored, now) => {
      const want = anchoredNumber(anchored, "maxId");
      return now.maxId < want ? [`jobs: the newest job it knows is ${now.maxId}, but job ${want} existed`] : [];
    },
    restore: (anchored) => {
      const want = anchoredNumber(anchored, "maxId");
      if (sequence(db, "jobs") >= want) return [];
      db.prepare("DELETE FROM sqlite_sequence WHERE name = 'jobs'").run();
      db.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('jobs', ?)").run(want);
      return [`job ids continue after ${want}, so no id is handed out twice`];
    },
  };
}

export function trustLogSection(db: Db): AnchorSection<{ size: number; root: string }> {
  const size = () =>
    (db.prepare("SELECT COALESCE(MAX(idx) + 1, 0) FROM trust_log_leaves").pluck().get() as number) ?? 0;
  return {
    name: "trustLog",
    current: () => {
      const n = size();
      return { size: n, root: storedRoot(db, n).toString("hex") };
    },
    behind: (anchored, now) => {
      const want = anchoredNumber(anchored, "size");
      if (now.size < want) return [`trust log: it has ${now.size} entries, the anchor recorded ${want}`];
      const root = (anchored as { root?: unknown } | null)?.root;
      if (typeof root !== "string" || want === 0) return [];
      let actual: string;
      try {
        actual = storedRoot(db, want).toString("hex");
      } catch (err) {
        return [`trust log: its first ${want} entries cannot be read (${(err as Error).message})`];
      }
      return actual === root ? [] : [`trust log: its first ${want} entries differ from what the anchor recorded`];
    },
    restore: (anchored) =>
      anchoredNumber(anchored, "size") > size()
        ? [`trust log entries beyond ${size()} cannot be put back; the log goes on from there`]
        : [],
  };
}
