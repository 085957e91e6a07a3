// The form for a new or changed schedule: a name, what it covers (a device, a tag or the fleet),
// compile or compile and upload, only outdated devices, and when — a cron expression in a time
// zone (its next runs previewed as you type, with the same calculator the sidecar uses) or once at
// a local date and time. The sidecar checks everything again; its message is shown as it is.
import { LitElement, html, css, nothing } from "lit";
import { CronError, isTimeZone, nextCronRun, parseCron } from "@esphome-forge/shared/cron";
import type { Schedule, ScheduleCreate } from "@esphome-forge/shared";
import { formatTimestamp } from "../format/relative-time.js";
import { baseStyles } from "./styles.js";

export const SCHEDULE_SAVE = "forge-schedule-save";
export const SCHEDULE_CANCEL = "forge-schedule-cancel";

type Kind = "fleet" | "tag" | "device";

const PRESETS: { label: string; cron: string }[] = [
  { label: "Every night at 03:00", cron: "0 3 * * *" },
  { label: "Sundays at 03:00", cron: "0 3 * * 0" },
  { label: "First of the month at 03:00", cron: "0 3 1 * *" },
];

const pad = (n: number) => String(n).padStart(2, "0");
/** A `datetime-local` value for an instant, in the browser's zone. */
function localInput(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The next three runs of a cron expression in a zone, or why there are none. */
export function cronPreview(
  cron: string,
  timeZone: string,
  now = Date.now(),
): { runs: number[]; error: string | null } {
  if (!isTimeZone(timeZone)) return { runs: [], error: `unknown time zone ${timeZone}` };
  try {
    const spec = parseCron(cron);
    const runs: number[] = [];
    for (let t: number | null = now; runs.length < 3;) {
      t = nextCronRun(spec, t, timeZone);
      if (t === null) break;
      runs.push(t);
    }
    return { runs, error: runs.length ? null : "the expression matches no date" };
  } catch (err) {
    return { runs: [], error: err instanceof CronError ? err.message : String(err) };
  }
}

export class ForgeScheduleForm extends LitElement {
  static override properties = {
    schedule: { attribute: false },
    devices: { attribute: false },
    tags: { attribute: false },
    error: { attribute: false },
    busy: { type: Boolean },
    draft: { state: true },
  };
  /** The schedule being changed; null for a new one. */
  declare schedule: Schedule | null;
  declare devices: readonly { id: string; label: string }[];
  declare tags: readonly string[];
  declare error: string | null;
  declare busy: boolean;
  declare draft: {
    name: string;
    kind: Kind;
    deviceId: string;
    tag: string;
    action: "compile" | "compile_upload";
    onlyOutdated: boolean;
    repeat: boolean;
    cron: string;
    timeZone: string;
    at: string;
  };

  constructor() {
    super();
    this.schedule = null;
    this.devices = [];
    this.tags = [];
    this.error = null;
    this.busy = false;
  }

  static override styles = [
    baseStyles,
    css`
      form {
        display: grid;
        gap: 10px;
        padding: 12px;
        border: 1px solid var(--forge-divider);
        border-radius: 10px;
        margin-bottom: 12px;
      }
      .row {
        display: flex;
        flex-wrap: wrap;
        gap: 8px 16px;
        align-items: center;
      }
      label {
        display: inline-flex;
        gap: 6px;
        align-items: center;
      }
      input[type="datetime-local"] {
        font: inherit;
      }
      .preview {
        font-size: 0.85em;
      }
      .buttons {
        display: flex;
        gap: 8px;
        justify-content: flex-end;
      }
    `,
  ];

  protected override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has("schedule") || !this.draft) this.draft = this.fromSchedule(this.schedule);
  }

  private fromSchedule(s: Schedule | null) {
    const when = s?.when;
    const target = s?.target;
    return {
      name: s?.name ?? "",
      kind: (target?.kind ?? "fleet") as Kind,
      deviceId: target?.kind === "device" ? target.deviceId : (this.devices[0]?.id ?? ""),
      tag: target?.kind === "tag" ? target.tag : (this.tags[0] ?? ""),
      action: s?.action ?? "compile_upload",
      onlyOutdated: s?.onlyOutdated ?? true,
      repeat: !when || "cron" in when,
      cron: when && "cron" in when ? when.cron : PRESETS[0]!.cron,
      timeZone: when && "cron" in when ? when.timeZone : Intl.DateTimeFormat().resolvedOptions().timeZone,
      at: localInput(when && "at" in when ? Date.parse(when.at) : Date.now() + 3_600_000),
    };
  }

  private set(patch: Partial<ForgeScheduleForm["draft"]>): void {
    this.draft = { ...this.draft, ...patch };
  }

  /** The body the sidecar takes (ScheduleCreate; a change sends the same fields as a patch). */
  body(): ScheduleCreate {
    const d = this.draft;
    const target =
      d.kind === "device"
        ? { kind: "device" as const, deviceId: d.deviceId }
        : d.kind === "tag"
          ? { kind: "tag" as const, tag: d.tag }
          : { kind: "fleet" as const };
    const when = d.repeat ? { cron: d.cron.trim(), timeZone: d.timeZone.trim() } : { at: new Date(d.at).toISOString() };
    return { name: d.name.trim(), target, action: d.action, onlyOutdated: d.onlyOutdated, when };
  }

  private submit(e: Event): void {
    e.preventDefault();
    this.dispatchEvent(new CustomEvent(SCHEDULE_SAVE, { detail: this.body(), bubbles: true, composed: true }));
  }

  override render() {
    const d = this.draft;
    const preview = d.repeat ? cronPreview(d.cron, d.timeZone) : null;
    const onceInPast = !d.repeat && !(Date.parse(new Date(d.at).toISOString()) > Date.now());
    const invalid =
      Boolean(preview?.error) || onceInPast || (d.kind === "device" && !d.deviceId) || (d.kind === "tag" && !d.tag);
    return html`<form aria-label=${this.schedule ? `Edit schedule ${this.schedule.id}` : "New schedule"} @submit=${this.submit}>
      <div class="row">
        <label>Name <input type="text" aria-label="Name" name="name" .value=${d.name} placeholder="e.g. Nightly updates" @input=${(e: Event) => this.set({ name: (e.target as HTMLInputElement).value })} /></label>
      </div>
      <div class="row">
        <label>For
          <select aria-label="Target" name="kind" .value=${d.kind} @change=${(e: Event) => this.set({ kind: (e.target as HTMLSelectElement).value as Kind })}>
            <option value="fleet">every device</option>
            <option value="tag">devices tagged</option>
            <option value="device">one device</option>
          </select>
        </label>
        ${d.kind === "device" ? html`<select aria-label="Device" name="device" .value=${d.deviceId} @change=${(e: Event) => this.set({ deviceId: (e.target as HTMLSelectElement).value })}>${this.devices.map((x) => html`<option value=${x.id} ?selected=${x.id === d.deviceId}>${x.label}</option>`)}</select>` : nothing}
        ${d.kind === "tag" ? html`<select aria-label="Tag" name="tag" .value=${d.tag} @change=${(e: Event) => this.set({ tag: (e.target as HTMLSelectElement).value })}>${this.tags.map((t) => html`<option value=${t} ?selected=${t === d.tag}>${t}</option>`)}</select>` : nothing}
        <label>Do
          <select aria-label="Action" name="action" .value=${d.action} @change=${(e: Event) => this.set({ action: (e.target as HTMLSelectElement).value as "compile" | "compile_upload" })}>
            <option value="compile_upload">compile and upload</option>
            <option value="compile">compile only</option>
          </select>
        </label>
        <label><input type="checkbox" aria-label="Only outdated devices" name="onlyOutdated" .checked=${d.onlyOutdated} @change=${(e: Event) => this.set({ onlyOutdated: (e.target as HTMLInputElement).checked })} /> only outdated devices</label>
      </div>
      <div class="row" role="radiogroup" aria-label="When">
        <label><input type="radio" name="repeat" .checked=${d.repeat} @change=${() => this.set({ repeat: true })} /> repeat</label>
        <label><input type="radio" name="once" .checked=${!d.repeat} @change=${() => this.set({ repeat: false })} /> once</label>
      </div>
      ${
        d.repeat
          ? html`<div class="row">
              <select aria-label="Preset" @change=${(e: Event) => this.set({ cron: (e.target as HTMLSelectElement).value || d.cron })}>
                <option value="">Presets…</option>
                ${PRESETS.map((p) => html`<option value=${p.cron}>${p.label}</option>`)}
              </select>
              <label>Cron <input type="text" class="mono" aria-label="Cron expression" name="cron" .value=${d.cron} @input=${(e: Event) => this.set({ cron: (e.target as HTMLInputElement).value })} /></label>
              <label>Time zone <input type="text" aria-label="Time zone" name="timeZone" .value=${d.timeZone} @input=${(e: Event) => this.set({ timeZone: (e.target as HTMLInputElement).value })} /></label>
            </div>
            <div class="preview ${preview?.error ? "error-text" : "muted"}" aria-live="polite">
              ${preview?.error ? `Cannot run: ${preview.error}` : `Next runs: ${preview!.runs.map((t) => formatTimestamp(new Date(t).toISOString())).join(" · ")} (your local time)`}
            </div>`
          : html`<div class="row">
              <label>At <input type="datetime-local" aria-label="Run at" name="at" .value=${d.at} @input=${(e: Event) => this.set({ at: (e.target as HTMLInputElement).value })} /></label>
              ${onceInPast ? html`<span class="error-text">pick a time in the future</span>` : nothing}
            </div>`
      }
      ${this.error ? html`<div class="error-text" role="alert">${this.error}</div>` : nothing}
      <div class="buttons">
        <button type="button" class="btn" @click=${() => this.dispatchEvent(new CustomEvent(SCHEDULE_CANCEL, { bubbles: true, composed: true }))}>Cancel</button>
        <button type="submit" class="btn primary" ?disabled=${invalid || this.busy}>${this.schedule ? "Save" : "Create schedule"}</button>
      </div>
    </form>`;
  }
}

if (!customElements.get("forge-schedule-form")) customElements.define("forge-schedule-form", ForgeScheduleForm);
