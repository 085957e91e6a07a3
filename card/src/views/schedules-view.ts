// Schedules: what builds by itself and when — each schedule's target, timing, next run and last run
// with its outcome. Admins create, change, pause, run now and delete them (the form is
// schedule-form.ts); everyone else sees the list. Automations in Home Assistant can call the
// `esphome_forge.compile` action just as well; both ways are in the README.
import { LitElement, html, css, nothing } from "lit";
import type { Schedule, ScheduleCreate, ScheduleTarget } from "@esphome-forge/shared";
import { toForgeError, type ForgeState, type ScheduleActions } from "../data/types.js";
import { formatRelative, formatTimestamp } from "../format/relative-time.js";
import { SCHEDULE_CANCEL, SCHEDULE_SAVE } from "./schedule-form.js";
import { baseStyles } from "./styles.js";
import "./schedule-form.js";

const OUTCOME_TONE: Record<string, string> = {
  queued: "tone-ok",
  nothing_to_do: "tone-neutral",
  missed: "tone-warn",
  refused: "tone-bad",
};

export function describeTarget(t: ScheduleTarget, state: ForgeState): string {
  if (t.kind === "fleet") return "every device";
  if (t.kind === "tag") return `devices tagged ${t.tag}`;
  const d = state.devices.get(t.deviceId);
  return d?.friendlyName || d?.name || t.deviceId;
}

export function describeWhen(s: Schedule): string {
  if ("at" in s.when) return `once at ${formatTimestamp(s.when.at)}`;
  return `cron ${s.when.cron} (${s.when.timeZone})`;
}

/** "in 5 min", "in 3 h", "in 2 d"; a past time (a run about to happen) reads "now". */
export function formatUntil(iso: string | null, now = Date.now()): string {
  if (!iso) return "—";
  const sec = Math.round((Date.parse(iso) - now) / 1000);
  if (sec < 60) return sec <= 0 ? "now" : `in ${sec} s`;
  const min = Math.round(sec / 60);
  if (min < 60) return `in ${min} min`;
  const h = Math.round(min / 60);
  return h < 48 ? `in ${h} h` : `in ${Math.round(h / 24)} d`;
}

export class ForgeSchedulesView extends LitElement {
  static override properties = {
    state: { attribute: false },
    actions: { attribute: false },
    editing: { state: true },
    formError: { state: true },
    busy: { state: true },
    rowErrors: { state: true },
    confirmDelete: { state: true },
  };
  declare state: ForgeState;
  /** Edits; absent for users who may only look. */
  declare actions: ScheduleActions | undefined;
  /** The schedule being edited, "new", or null. */
  declare editing: number | "new" | null;
  declare formError: string | null;
  declare busy: boolean;
  declare rowErrors: ReadonlyMap<number, string>;
  declare confirmDelete: number | null;

  constructor() {
    super();
    this.editing = null;
    this.formError = null;
    this.busy = false;
    this.rowErrors = new Map();
    this.confirmDelete = null;
    this.addEventListener(SCHEDULE_SAVE, (e) => void this.save((e as CustomEvent<ScheduleCreate>).detail));
    this.addEventListener(SCHEDULE_CANCEL, () => this.close());
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: block;
        padding: 8px 12px 12px;
      }
      .head {
        display: flex;
        justify-content: space-between;
        align-items: center;
        margin-bottom: 8px;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 8px;
      }
      li {
        border: 1px solid var(--forge-divider);
        border-radius: 10px;
        padding: 10px 12px;
        display: grid;
        gap: 4px;
      }
      li.paused {
        opacity: 0.7;
      }
      .top {
        display: flex;
        justify-content: space-between;
        gap: 8px;
        align-items: baseline;
        flex-wrap: wrap;
      }
      .actions {
        display: flex;
        gap: 6px;
        flex-wrap: wrap;
      }
      .empty {
        color: var(--forge-muted);
        padding: 12px 0;
      }
    `,
  ];

  private close(): void {
    this.editing = null;
    this.formError = null;
  }

  private async save(body: ScheduleCreate): Promise<void> {
    if (!this.actions || this.editing === null) return;
    this.busy = true;
    this.formError = null;
    try {
      if (this.editing === "new") await this.actions.create(body);
      else await this.actions.update(this.editing, body);
      this.close();
    } catch (err) {
      this.formError = toForgeError(err).message;
    } finally {
      this.busy = false;
    }
  }

  private async act(id: number, what: (a: ScheduleActions) => Promise<unknown>): Promise<void> {
    if (!this.actions) return;
    const errors = new Map(this.rowErrors);
    errors.delete(id);
    this.rowErrors = errors;
    try {
      await what(this.actions);
    } catch (err) {
      this.rowErrors = new Map(this.rowErrors).set(id, toForgeError(err).message);
    }
  }

  override render() {
    const schedules = [...this.state.schedules.values()].sort(
      (a, b) => (a.nextRunAt ?? "~").localeCompare(b.nextRunAt ?? "~") || a.id - b.id,
    );
    const devices = [...this.state.devices.values()]
      .map((d) => ({ id: d.id, label: d.friendlyName || d.name || d.id }))
      .sort((a, b) => a.label.localeCompare(b.label));
    const tags = [...new Set([...this.state.devices.values()].flatMap((d) => d.tags))].sort();
    const editing = typeof this.editing === "number" ? (this.state.schedules.get(this.editing) ?? null) : null;
    return html`
      <div class="head">
        <span class="muted">${schedules.length} schedule${schedules.length === 1 ? "" : "s"}</span>
        ${this.actions && this.editing === null ? html`<button class="btn primary" @click=${() => (this.editing = "new")}>New schedule</button>` : nothing}
      </div>
      ${
        this.editing !== null
          ? html`<forge-schedule-form .schedule=${editing} .devices=${devices} .tags=${tags} .error=${this.formError} ?busy=${this.busy}></forge-schedule-form>`
          : nothing
      }
      ${
        schedules.length
          ? html`<ul aria-label="Schedules">${schedules.map((s) => this.renderSchedule(s))}</ul>`
          : html`<div class="empty">No schedules yet. Builds can also be started from Home Assistant automations with the <span class="mono">esphome_forge.compile</span> action.</div>`
      }
    `;
  }

  private renderSchedule(s: Schedule) {
    const name = s.name || `Schedule ${s.id}`;
    const last = s.lastRun;
    const error = this.rowErrors.get(s.id);
    return html`<li class=${s.enabled ? "" : "paused"} aria-label=${`Schedule ${name}`}>
      <div class="top">
        <b>${name}</b>
        <span class="chip ${s.enabled ? "tone-info" : "tone-neutral"}">${s.enabled ? "active" : "paused"}</span>
      </div>
      <div>${s.action === "compile_upload" ? "Compile and upload" : "Compile"} ${describeTarget(s.target, this.state)}${s.onlyOutdated ? html` <span class="chip">only outdated</span>` : nothing}</div>
      <div class="muted">${describeWhen(s)}</div>
      <div class="next">Next run: ${s.nextRunAt ? html`<span title=${formatTimestamp(s.nextRunAt)}>${formatUntil(s.nextRunAt)} (${formatTimestamp(s.nextRunAt)})</span>` : "none"}</div>
      ${
        last
          ? html`<div class="last">Last run: <span class="chip ${OUTCOME_TONE[last.outcome] ?? ""}">${last.outcome.replace(/_/g, " ")}</span> ${formatRelative(last.ranAt)}${last.detail ? html` — <span class="muted">${last.detail}</span>` : nothing}</div>`
          : nothing
      }
      ${error ? html`<div class="error-text" role="alert">${error}</div>` : nothing}
      ${
        this.actions
          ? html`<div class="actions">
              <button class="btn" aria-label=${`Run ${name} now`} @click=${() => void this.act(s.id, (a) => a.run(s.id))}>Run now</button>
              <button class="btn" aria-label=${`${s.enabled ? "Pause" : "Resume"} ${name}`} @click=${() => void this.act(s.id, (a) => a.update(s.id, { enabled: !s.enabled }))}>${s.enabled ? "Pause" : "Resume"}</button>
              <button class="btn" aria-label=${`Edit ${name}`} @click=${() => ((this.formError = null), (this.editing = s.id))}>Edit</button>
              ${
                this.confirmDelete === s.id
                  ? html`<button class="btn danger" aria-label=${`Really delete ${name}`} @click=${() => void this.act(s.id, (a) => a.remove(s.id)).then(() => (this.confirmDelete = null))}>Delete for good</button>`
                  : html`<button class="btn" aria-label=${`Delete ${name}`} @click=${() => (this.confirmDelete = s.id)}>Delete</button>`
              }
            </div>`
          : nothing
      }
    </li>`;
  }
}

if (!customElements.get("forge-schedules-view")) customElements.define("forge-schedules-view", ForgeSchedulesView);
