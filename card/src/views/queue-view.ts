// The queue: running jobs (progress, worker, elapsed), queued ones in dispatch order (blocked and
// armed ones among them, each with why it waits), and the recent finished ones with durations and results. One grid for all three lists (each row is a
// subgrid), so the columns line up across rows and sections at any width.
import { LitElement, html, css, nothing } from "lit";
import type { Job } from "@esphome-forge/shared";
import type { ForgeState } from "../data/types.js";
import { isActiveJob } from "../data/reducer.js";
import { formatDuration, formatElapsed } from "../format/duration.js";
import { formatRelative, formatTimestamp } from "../format/relative-time.js";
import { ACTIONS_ENABLED, type ActionPolicy } from "./controls.js";
import { armedText, armedTitle, isWaiting } from "./device-lifecycle.js";
import { emitAction } from "./events.js";
import { jobTrustChip } from "./job-trust.js";
import { ACTION_LABELS, baseStyles, jobTone } from "./styles.js";
import { blockedText } from "./trust.js";

const PRIORITY_RANK: Record<string, number> = { interactive: 0, automation: 1, scheduled: 2, bulk: 3 };
export const RECENT_LIMIT = 25;

export interface QueueGroups {
  running: Job[];
  queued: Job[];
  recent: Job[];
}

export function groupJobs(jobs: Iterable<Job>, recentLimit = RECENT_LIMIT): QueueGroups {
  const running: Job[] = [];
  const queued: Job[] = [];
  const recent: Job[] = [];
  for (const j of jobs) {
    if (j.state === "running") running.push(j);
    else if (j.state === "queued" || j.state === "blocked" || j.state === "waiting_for_device") queued.push(j);
    else recent.push(j);
  }
  running.sort((a, b) => (a.startedAt ?? "").localeCompare(b.startedAt ?? "") || a.id - b.id);
  queued.sort((a, b) => (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9) || a.id - b.id);
  recent.sort((a, b) => (b.finishedAt ?? "").localeCompare(a.finishedAt ?? "") || b.id - a.id);
  return { running, queued, recent: recent.slice(0, recentLimit) };
}

export class ForgeQueueView extends LitElement {
  static override properties = { state: { attribute: false }, actions: { attribute: false } };
  declare state: ForgeState;
  /** Whether Cancel shows and works (see controls.ts). */
  declare actions: ActionPolicy;

  constructor() {
    super();
    this.actions = ACTIONS_ENABLED;
  }
  private ticker: ReturnType<typeof setInterval> | null = null;

  static override styles = [
    baseStyles,
    css`
      :host {
        display: block;
        padding: 4px 12px 12px;
        container: forge-queue / inline-size;
      }
      .jobs {
        display: grid;
        grid-template-columns: minmax(150px, 1.5fr) minmax(110px, 1fr) minmax(140px, 1.2fr) max-content;
        column-gap: 12px;
      }
      section,
      ul,
      li {
        display: grid;
        grid-column: 1 / -1;
        grid-template-columns: subgrid;
      }
      h3 {
        grid-column: 1 / -1;
        font-size: 0.85em;
        text-transform: uppercase;
        letter-spacing: 0.04em;
        color: var(--forge-muted);
        margin: 12px 0 4px;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      li {
        align-items: center;
        row-gap: 4px;
        padding: 6px 0;
        border-top: 1px solid var(--forge-divider);
      }
      li > span {
        min-width: 0;
      }
      li .err {
        grid-column: 1 / -1;
        font-size: 0.85em;
      }
      .right {
        display: flex;
        gap: 4px;
        justify-content: flex-end;
        align-items: center;
      }
      .empty {
        grid-column: 1 / -1;
        color: var(--forge-muted);
        padding: 4px 0;
      }
      @container forge-queue (max-width: 560px) {
        .jobs {
          grid-template-columns: minmax(0, 1fr) max-content;
        }
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    this.ticker = setInterval(() => this.requestUpdate(), 1000);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }

  private deviceName(id: string): string {
    const d = this.state.devices.get(id);
    return d?.friendlyName || d?.name || id;
  }

  private workerName(id: string | null): string {
    if (!id) return "—";
    return this.state.workers.get(id)?.name ?? id;
  }

  override render() {
    const g = groupJobs(this.state.jobs.values());
    return html`<div class="jobs">
      <section aria-label="Running jobs">
        <h3>Running (${g.running.length})</h3>
        ${this.list(
          g.running,
          (j) => html`
          <span class="muted">on ${this.workerName(j.workerId)}${j.progress != null ? ` · ${Math.round(j.progress)}%` : ""}</span>
          <span>${j.phase ?? "starting"} · ${formatElapsed(j.startedAt)}</span>`,
        )}
      </section>
      <section aria-label="Queued jobs">
        <h3>Queued (${g.queued.length})</h3>
        ${this.list(
          g.queued,
          (j, i) => html`
          <span class="muted">${j.state === "blocked" ? "blocked" : isWaiting(j) ? "armed" : `#${i + 1}`} · ${j.priority}</span>
          <span>${isWaiting(j) ? "waiting for the device" : "waiting"} ${formatElapsed(j.createdAt)}</span>`,
        )}
      </section>
      <section aria-label="Recent jobs">
        <h3>Recent (${g.recent.length})</h3>
        ${this.list(
          g.recent,
          (j) => html`
          <span><span class="chip ${jobTone(j.state)}">${j.state.replace(/_/g, " ")}</span></span>
          <span class="muted" title=${formatTimestamp(j.finishedAt)}>${formatDuration(j.durationMs)} · ${formatRelative(j.finishedAt)}</span>`,
        )}
      </section>
    `;
  }

  private list(jobs: Job[], middle: (j: Job, i: number) => unknown) {
    if (!jobs.length) return html`<div class="empty">none</div>`;
    return html`<ul>
      ${jobs.map((j, i) => {
        const active = isActiveJob(j);
        const blocked = blockedText(j.trust);
        return html`<li>
          <span><b>${this.deviceName(j.deviceId)}</b> <span class="muted">${ACTION_LABELS[j.action] ?? j.action} #${j.id}</span></span>
          ${middle(j, i)}
          <span class="right">
            ${jobTrustChip(j)}
            ${active && this.actions.mode !== "hidden" ? html`<button class="btn danger" ?disabled=${j.cancelRequested || this.actions.mode === "disabled"} title=${this.actions.mode === "disabled" ? this.actions.reason : "Cancel this job"} aria-label=${`Cancel job ${j.id}`} @click=${() => emitAction(this, { action: "cancel", jobId: j.id, deviceId: j.deviceId })}>Cancel</button>` : nothing}
            <button class="btn" aria-label=${`Open the log of job ${j.id}`} @click=${() => emitAction(this, { action: "log", jobId: j.id })}>Log</button>
          </span>
          ${blocked ? html`<span class="err error-text" title=${j.error ?? ""}>${blocked}</span>` : nothing}
          ${j.state === "blocked" && j.blockedReason ? html`<span class="err blocked-reason" style="color: var(--forge-warn)">Blocked: ${j.blockedReason}</span>` : nothing}
          ${isWaiting(j) ? html`<span class="err armed-reason" title=${armedTitle(j)}>${armedText(j, Date.now(), !!this.state.devices.get(j.deviceId)?.deepSleep)}${j.blockedReason ? html` <span class="muted">(${j.blockedReason})</span>` : nothing}</span>` : nothing}
          ${j.error && !blocked ? html`<span class="err ${j.state === "cancelled" ? "muted" : "error-text"}">${j.phase ? `${j.phase}: ` : ""}${j.error}</span>` : nothing}
        </li>`;
      })}
    </ul>`;
  }
}

if (!customElements.get("forge-queue-view")) customElements.define("forge-queue-view", ForgeQueueView);
