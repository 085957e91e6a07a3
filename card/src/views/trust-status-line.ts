// The fleet's trust status (GET /trust/status) as a line of short, coloured items, plus the alert
// to show prominently when something is wrong (a failed log check, a broken revocation list). Pure.
import type { TrustStatus } from "@esphome-forge/shared";
import { formatTimestamp } from "../format/relative-time.js";
import type { Tone } from "./trust.js";

export interface StatusItem {
  text: string;
  tone: Tone;
  title: string;
}

const DAY_MS = 86_400_000;
const POLICY_TONES: Record<TrustStatus["policy"], Tone> = { enforce: "ok", warn: "warn", off: "bad" };
const POLICY_TITLES: Record<TrustStatus["policy"], string> = {
  enforce: "Fleet trust policy: only verified firmware is flashed",
  warn: "Fleet trust policy: firmware that is not verified is flashed with a warning",
  off: "Fleet trust policy: no trust check before flashing",
};

function expiry(expiresAt: string, now: number): string {
  const days = Math.floor((Date.parse(expiresAt) - now) / DAY_MS);
  if (Number.isNaN(days)) return "expiry unknown";
  return days < 1 ? "expires today" : `expires in ${days} d`;
}

export function trustStatusLine(
  s: TrustStatus,
  now: number = Date.now(),
): { items: StatusItem[]; alert: string | null } {
  const alerts: string[] = [];
  const items: StatusItem[] = [
    {
      text: `policy ${s.policy}`,
      tone: POLICY_TONES[s.policy] ?? "neutral",
      title: POLICY_TITLES[s.policy] ?? s.policy,
    },
  ];

  const r = s.revocations;
  if (s.revocationError) {
    items.push({ text: "revocation list INVALID", tone: "bad", title: s.revocationError });
    alerts.push(`The revocation list fails its check (every verdict reads invalid): ${s.revocationError}`);
  } else if (!r) {
    items.push({ text: "no revocation list", tone: "neutral", title: "Nothing has been revoked yet" });
  } else {
    const title = `Revocation list version ${r.version}: ${r.entries} entr${r.entries === 1 ? "y" : "ies"}, issued ${formatTimestamp(r.issuedAt)}, expires ${formatTimestamp(r.expiresAt)}`;
    const soon = Date.parse(r.expiresAt) - now < 7 * DAY_MS;
    items.push({
      text: `revocations v${r.version} · ${r.expired ? "EXPIRED" : expiry(r.expiresAt, now)}`,
      tone: r.expired ? "bad" : soon ? "warn" : "ok",
      title,
    });
    if (r.expired)
      alerts.push(
        `The revocation list (version ${r.version}) expired ${formatTimestamp(r.expiresAt)}: verdicts read stale until a fresh list is published.`,
      );
  }

  const a = s.log.audit;
  if (!a)
    items.push({
      text: "log not checked",
      tone: "neutral",
      title: `Transparency log: ${s.log.size} entries, not checked yet`,
    });
  else if (a.ok)
    items.push({
      text: "log check ok",
      tone: "ok",
      title: `Transparency log consistent: ${a.treeSize} entries, ${a.checkpointsChecked} checkpoints, checked ${formatTimestamp(a.checkedAt)}`,
    });
  else {
    const problems = a.problems.length
      ? a.problems.slice(0, 3).join("; ") + (a.problems.length > 3 ? ` (+${a.problems.length - 3} more)` : "")
      : "no detail";
    items.push({ text: "log check FAILED", tone: "bad", title: a.problems.join("\n") || "no detail" });
    alerts.push(`Transparency log check FAILED (${formatTimestamp(a.checkedAt)}): ${problems}`);
  }
  // Home Assistant's own record of the log (only through HA): does the log still extend what HA saw?
  const w = s.witness;
  if (w?.ok)
    items.push({
      text: "witnessed by HA",
      tone: "ok",
      title: `Home Assistant checked that the log (${w.treeSize} entries) extends the ${w.witnessedSize} it had witnessed`,
    });
  else if (w) {
    items.push({ text: `log ${w.state.toUpperCase()} (HA witness)`, tone: "bad", title: w.problem ?? w.state });
    alerts.push(`Home Assistant's witness: ${w.problem ?? `the log ${w.state}`}`);
  }
  return { items, alert: alerts.length ? alerts.join(" ") : null };
}
