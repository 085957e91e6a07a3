// A job's content-trust decision as a chip (queue rows, the log panel's header): the verdict's
// colour and a short label; reason, signer, build sequence, policy and outcome in its title and name.
import { html, nothing } from "lit";
import type { Job } from "@esphome-forge/shared";
import { describeJobTrust, jobTrustBadge } from "./trust.js";

export function jobTrustChip(job: Job) {
  const t = job.trust;
  if (!t) return nothing;
  const { tone, label } = jobTrustBadge(t);
  const why = describeJobTrust(t);
  return html`<span class="chip tone-${tone} job-trust" role="note" title=${why} aria-label=${why}>${label}</span>`;
}
