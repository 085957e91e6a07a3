// The sections of the state anchor that describe the database itself: the highest job id, the
// trust log (size and root) and every device's rollback floor. Each says how the database can be behind it, and what --accept-database
// can put back. (The flash ledger's section lives with the ledger: fleet/flash-anchor-section.ts.)
import type { Db } from "../db/database.js";
import { BuildSequences, type RollbackFloor } from "../trust/attest/attestation-store.js";
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

/** A floor as anchored: [device, image last flashed, highest build sequence, highest CI order]. */
type AnchoredFloor = [string, string, number | null, number | null];

/**
 * Rollback protection never resets, and a database edit cannot reset it either: each device's highest
 * flashed build sequence and CI order are anchored, and a database whose floor is lower (or gone) is
 * refused at start; --accept-database raises the floors back.
 */
export function rollbackFloorsSection(db: Db): AnchorSection<AnchoredFloor[]> {
  const sequences = new BuildSequences(db);
  const parse = (anchored: unknown): RollbackFloor[] =>
    (Array.isArray(anchored) ? anchored : [])
      .filter(
        (f): f is AnchoredFloor =>
          Array.isArray(f) && typeof f[0] === "string" && typeof f[1] === "string" && f.length === 4,
      )
      .map(([deviceId, firmwareSha256, maxBuildSequence, maxExternalOrder]) => ({
        deviceId,
        firmwareSha256,
        maxBuildSequence: Number.isSafeInteger(maxBuildSequence) ? maxBuildSequence : null,
        maxExternalOrder: Number.isSafeInteger(maxExternalOrder) ? maxExternalOrder : null,
      }));
  const lower = (want: number | null, have: number | null | undefined) => want !== null && (have ?? -1) < want;
  return {
    name: "rollbackFloors",
    current: () =>
      sequences.floors().map((f) => [f.deviceId, f.firmwareSha256, f.maxBuildSequence, f.maxExternalOrder]),
    behind: (anchored) =>
      parse(anchored).flatMap((want) => {
        const have = sequences.installed(want.deviceId);
        if (!have)
          return [
            `rollback floor: ${want.deviceId}'s flash record is gone (it had build #${want.maxBuildSequence ?? "-"})`,
          ];
        const out: string[] = [];
        if (lower(want.maxBuildSequence, have.maxBuildSequence))
          out.push(
            `rollback floor: ${want.deviceId}'s is build #${have.maxBuildSequence ?? "none"}, the anchor recorded #${want.maxBuildSequence}`,
          );
        if (lower(want.maxExternalOrder, have.maxExternalOrder))
          out.push(
            `rollback floor: ${want.deviceId}'s CI order is ${have.maxExternalOrder ?? "none"}, the anchor recorded ${want.maxExternalOrder}`,
          );
        return out;
      }),
    restore: (anchored) =>
      parse(anchored)
        .filter((f) => sequences.raiseFloor(f))
        .map((f) => `raised ${f.deviceId}'s rollback floor back to build #${f.maxBuildSequence ?? "-"}`),
  };
}
