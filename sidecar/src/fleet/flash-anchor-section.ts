// The flash ledger's section of the state anchor: its counter and newest records, so a database that
// lost flash records is refused at start with the jobs named, and --accept-database puts them back and
// closes their jobs instead of flashing them again.
import { TERMINAL_JOB_STATES } from "@esphome-forge/shared";
import { anchoredNumber } from "../durability/anchor-sections.js";
import type { AnchorSection } from "../durability/state-anchor.js";
import type { JobQueue } from "../queue/job-queue.js";
import type { FlashLedger, FlashRecord } from "./flash-ledger.js";

/** Flash records kept in the anchor: enough to name (and put back) every flash a lost WAL could hold. */
export const ANCHORED_FLASHES = 64;

export function flashesSection(
  ledger: FlashLedger,
  queue: JobQueue,
): AnchorSection<{ counter: number; recent: FlashRecord[] }> {
  const missing = (anchored: unknown, counter: number): FlashRecord[] => {
    const recent = (anchored as { recent?: unknown } | null)?.recent;
    return Array.isArray(recent)
      ? (recent as FlashRecord[]).filter((r) => r.id > counter).sort((a, b) => a.id - b.id)
      : [];
  };
  const describe = (r: FlashRecord) =>
    `job ${r.jobId} attempt ${r.attempt} on ${r.deviceId}: ${r.stage === "intent" ? "flash started" : `flash ${r.outcome}`}`;
  return {
    name: "flashes",
    current: () => ({ counter: ledger.counter(), recent: ledger.recent(ANCHORED_FLASHES) }),
    behind: (anchored, now) => {
      const want = anchoredNumber(anchored, "counter");
      if (now.counter >= want) return [];
      const lost = missing(anchored, now.counter);
      return [
        `flash records: it has ${now.counter}, the anchor recorded ${want}` +
          (lost.length ? ` (${lost.map(describe).join("; ")})` : ""),
      ];
    },
    restore: (anchored) => {
      const lost = missing(anchored, ledger.counter());
      const added = ledger.restore(lost);
      const notes = added.map((r) => `put back the flash record "${describe(r)}"`);
      const gone = anchoredNumber(anchored, "counter") - ledger.counter();
      if (gone > 0) notes.push(`${gone} older flash record(s) are beyond what the anchor keeps and stay lost`);
      for (const jobId of new Set(added.map((r) => r.jobId))) {
        const job = queue.get(jobId);
        if (!job || TERMINAL_JOB_STATES.includes(job.state)) continue;
        const last = added.filter((r) => r.jobId === jobId).at(-1)!;
        queue.closeLost(
          jobId,
          `the database lost this job's latest records; the state anchor shows "${describe(last)}", so it is ` +
            "not run again (no second flash): check what the device runs, then retry it by hand if needed",
        );
        notes.push(`job ${jobId} closed instead of flashing again`);
      }
      return notes;
    },
  };
}
