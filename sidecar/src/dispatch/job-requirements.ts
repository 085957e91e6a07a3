// What a job needs from a worker, and, when no online worker has it, the words that say exactly what
// is missing. One home for the rule: the dispatcher's eligibility and the blocked reasons both use it.
import {
  routingRuleFor,
  type JobParams,
  type RoutedDevice,
  type Job,
  type RoutingRule,
  type WorkerRole,
} from "@esphome-forge/shared";
import { flashRefusal, needsFlasher } from "../worker-hub/worker-roles.js";

export interface Requirement {
  /** `params.workerId`: only this worker may take the job. */
  pinned: string | null;
  /** Tags the job itself asks for (`params.workerTags`). */
  jobTags: string[];
  /** The routing rule that applies to the device, if any. */
  rule: { name: string; tags: string[] } | null;
  /** Every tag a worker must carry: the job's and the rule's. */
  tags: string[];
  /**
   * A flash step: it needs a worker with the flasher role other than the image's builder (pin, tags and
   * rules chose the builder, not the flasher). Null for a build.
   */
  flash: { builtBy: string | null } | null;
  /** Identifies requirements that are judged the same (for memoising verdicts within one pass). */
  key: string;
}

/** One online worker as routing sees it. */
export interface Capability {
  id: string;
  /** The name it announced (what people call it), shown beside the id when they differ. */
  name?: string;
  tags: ReadonlySet<string>;
  /** Slots set to 0 by an admin: online, but takes nothing. */
  disabled: boolean;
  /** Its roles (default builder only) and whether it is the built-in local worker: they decide flash steps. */
  roles?: readonly WorkerRole[];
  local?: boolean;
}

/** An unconstrained job (no pin, no tags, no rule) is never blocked: any worker that connects takes it. */
export const unconstrained = (r: Requirement): boolean => r.pinned === null && r.tags.length === 0 && !r.flash;

/**
 * `flash`: the step needs a flasher that did not build the image (worker-roles `needsFlasher`); omitted
 * or null for a build step. Pin, tags and rule apply as well (an `upload` may be pinned to a flasher).
 */
export function requirementOf(
  params: Pick<JobParams, "workerId" | "workerTags">,
  device: RoutedDevice | undefined,
  rules: readonly RoutingRule[],
  flash: { builtBy: string | null } | null = null,
): Requirement {
  const rule = device ? routingRuleFor(rules, device) : undefined;
  const jobTags = [...new Set(params.workerTags ?? [])];
  const ruleTags = rule ? [...new Set(rule.workerTags)] : [];
  const tags = [...new Set([...jobTags, ...ruleTags])].sort();
  const pinned = params.workerId ?? null;
  const flashKey = flash ? `|flash:${flash.builtBy ?? ""}` : "";
  return {
    pinned,
    jobTags,
    rule: rule ? { name: rule.name, tags: ruleTags } : null,
    tags,
    flash,
    key: `${pinned ?? ""}|${tags.join(",")}|${rule?.name ?? ""}${flashKey}`,
  };
}

/**
 * What a job's next step needs. A build, and an `upload`, follow the job's pin, tags and routing rule;
 * a compile_upload's flash step goes to any flasher but its builder (the pin, tags and rule chose the builder).
 */
export function requirementFor(
  job: Pick<Job, "action" | "step" | "builtBy" | "params">,
  device: RoutedDevice | undefined,
  rules: readonly RoutingRule[],
): Requirement {
  if (!needsFlasher(job)) return requirementOf(job.params, device, rules);
  const flash = { builtBy: job.builtBy ?? null };
  return job.action === "compile_upload"
    ? requirementOf({}, undefined, [], flash)
    : requirementOf(job.params, device, rules, flash);
}

export function canTake(r: Requirement, w: Capability): boolean {
  if (w.disabled) return false;
  if (r.flash && flashRefusal(r.flash.builtBy, { id: w.id, roles: w.roles ?? [], local: w.local ?? false }) !== null)
    return false;
  if (r.pinned !== null && r.pinned !== w.id) return false;
  return r.tags.every((t) => w.tags.has(t));
}

/** Null when some online worker can take the job; else why not, naming the rule and the online workers. */
export function blockedReason(r: Requirement, online: readonly Capability[]): string | null {
  if (unconstrained(r) || online.some((w) => canTake(r, w))) return null;
  if (r.flash && !online.some((w) => canTake({ ...r, pinned: null, tags: [] }, w)))
    return flasherMissing(r.flash.builtBy, online);
  const workers = online.length ? online.map(describeWorker).join(", ") : "none";
  const needs = r.tags.length ? `a worker with ${r.tags.length === 1 ? "tag" : "tags"} ${r.tags.join(", ")}` : "";
  const ruleWords = r.rule ? ` (rule '${r.rule.name}')` : "";
  if (r.pinned !== null) {
    const w = online.find((c) => c.id === r.pinned);
    const missing = w ? r.tags.filter((t) => !w.tags.has(t)) : [];
    const why = !w
      ? "which is offline"
      : w.disabled
        ? "which has 0 slots"
        : `which lacks ${missing.length === 1 ? "tag" : "tags"} ${missing.join(", ")}${ruleWords}`;
    return `pinned to worker ${r.pinned} (params.workerId), ${why}; online workers: ${workers}`;
  }
  return `needs ${needs}${ruleWords}; online workers: ${workers}`;
}

/** A flash step no online worker may take: who could (a flasher that did not build it) and who is there. */
function flasherMissing(builtBy: string | null, online: readonly Capability[]): string {
  const workers = online.length
    ? online.map((w) => `${describeWorker(w)} (${(w.roles ?? []).join(", ") || "builder"})`).join(", ")
    : "none";
  const notBuilder = builtBy ? ` other than ${builtBy}, which built the image` : "";
  return `needs a worker with the flasher role${notBuilder} (an admin sets roles per worker; the built-in local worker is one); online workers: ${workers}`;
}

function describeWorker(w: Capability): string {
  const who = w.name && w.name !== w.id ? `${w.name} (${w.id})` : w.id;
  const tags = w.tags.size ? [...w.tags].sort().join(", ") : "no tags";
  return `${who} [${tags}]${w.disabled ? " (0 slots)" : ""}`;
}

/** The part of a dispatch reason that says why only some workers were eligible. */
export function routingWords(r: Requirement): string {
  const parts: string[] = [];
  if (r.pinned !== null) parts.push(`pinned to ${r.pinned} (params.workerId)`);
  if (r.jobTags.length) parts.push(`job needs tags ${r.jobTags.join(", ")}`);
  if (r.rule) parts.push(`rule '${r.rule.name}' needs tags ${r.rule.tags.join(", ")}`);
  return parts.join("; ");
}
