// The trust decision taken for each job (approval of a compile, gate of an OTA), kept in the trust
// engine's own table and added to every Job the queue hands out, so the REST API, the events stream
// and the job history all show the verdict that applied to that job.
import type Database from "better-sqlite3";
import { JobTrust, type Job, type TrustPolicy, type TrustVerdict } from "@esphome-forge/shared";

export class JobVerdicts {
  private readonly put;
  private readonly many;
  private readonly drop;

  constructor(db: Database.Database) {
    this.put = db.prepare(
      "INSERT INTO trust_job_verdicts (job_id, trust) VALUES (?, ?) ON CONFLICT(job_id) DO UPDATE SET trust = excluded.trust",
    );
    this.many = db.prepare(
      "SELECT job_id, trust FROM trust_job_verdicts WHERE job_id IN (SELECT value FROM json_each(?))",
    );
    this.drop = db.prepare("DELETE FROM trust_job_verdicts WHERE job_id IN (SELECT value FROM json_each(?))");
  }

  record(
    jobId: number,
    verdict: TrustVerdict,
    policy: TrustPolicy,
    outcome: JobTrust["outcome"],
    stage: JobTrust["stage"],
  ): JobTrust {
    const t: JobTrust = { ...verdict, policy, outcome, stage };
    this.put.run(jobId, JSON.stringify(t));
    return t;
  }

  /** Sets `trust` on each job (null when no decision was taken for it). */
  annotate(jobs: Job[]): void {
    if (jobs.length === 0) return;
    const rows = this.many.all(JSON.stringify(jobs.map((j) => j.id))) as { job_id: number; trust: string }[];
    const byId = new Map(rows.map((r) => [r.job_id, r.trust]));
    for (const j of jobs) {
      const raw = byId.get(j.id);
      const parsed = raw ? JobTrust.safeParse(JSON.parse(raw)) : null;
      j.trust = parsed?.success ? parsed.data : null;
    }
  }

  /** Jobs deleted by retention take their verdicts with them. */
  forget(ids: number[]): void {
    if (ids.length) this.drop.run(JSON.stringify(ids));
  }
}

/** What a policy did with a verdict. */
export function outcomeOf(state: TrustVerdict["state"], policy: TrustPolicy, allowed: boolean): JobTrust["outcome"] {
  if (!allowed) return "blocked";
  return state === "verified" || policy === "off" ? "allowed" : "warned";
}
