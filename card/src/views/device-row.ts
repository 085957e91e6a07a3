// One device in the devices table. Each row is its own element with its own properties, so a
// status change re-renders only the row it concerns (the list is a keyed repeat); elapsed times
// tick in their own tiny elements. Rows have no shadow root of their own (cheaper by far for big
// fleets); their styles live in the devices view (row-styles.ts).
import { LitElement, html, nothing } from "lit";
import type { Device, Job } from "@esphome-forge/shared";
import type { DevicePresence } from "../data/types.js";
import type { Column } from "./columns.js";
import { ACTIONS_ENABLED, checkBox, NATIVE_KIT, type ActionPolicy, type ControlKit } from "./controls.js";
import { installableStaged, isWaiting, stagedText } from "./device-lifecycle.js";
import { displayName, onlineState, uploadableFirmware } from "./device-model.js";
import { emitAction, type JobCommand } from "./events.js";
import { lastBuildCell, onlineCell, statusCell, versionCell } from "./row-cells.js";
import { describeVerdict, POLICY_TITLES, TRUST_LABELS, trustTone } from "./trust.js";

export class ForgeDeviceRow extends LitElement {
  static override properties = {
    device: { attribute: false },
    active: { attribute: false },
    last: { attribute: false },
    presence: { attribute: false },
    columns: { attribute: false },
    selected: { type: Boolean, reflect: true },
    busy: { type: Boolean },
    error: { attribute: false },
    kit: { attribute: false },
    actions: { attribute: false },
    trustOpen: { state: true },
  };
  declare device: Device;
  declare active: Job | null;
  declare last: Job | null;
  declare presence: DevicePresence | undefined;
  declare columns: readonly Column[];
  declare selected: boolean;
  declare busy: boolean;
  declare error: string | null;
  declare kit: ControlKit;
  declare actions: ActionPolicy;
  declare trustOpen: boolean;

  /** No shadow root: the row renders into the devices view's (see row-styles.ts). */
  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  constructor() {
    super();
    this.active = null;
    this.last = null;
    this.columns = [];
    this.selected = false;
    this.busy = false;
    this.error = null;
    this.kit = NATIVE_KIT;
    this.actions = ACTIONS_ENABLED;
    this.trustOpen = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.setAttribute("role", "row");
    this.classList.add("row");
  }

  /** A flash to a device known to be offline is armed: built now, flashed when it is back. */
  private run(action: JobCommand): void {
    const whenOnline = action !== "compile" && this.offline();
    emitAction(this, { action, deviceIds: [this.device.id], ...(whenOnline ? { whenOnline } : {}) });
  }

  private offline(): boolean {
    return onlineState(this.device, this.presence) === false;
  }

  private select(selected: boolean): void {
    this.dispatchEvent(
      new CustomEvent("forge-select", { detail: { id: this.device.id, selected }, bubbles: true, composed: true }),
    );
  }

  override render() {
    const d = this.device;
    if (!d) return nothing;
    const cols = this.columns;
    const name = displayName(d);
    return html`
      <div role="cell" class="select">
        ${
          this.actions.mode === "hidden"
            ? nothing
            : checkBox(this.kit, { label: `Select ${name}`, checked: this.selected, onChange: (on) => this.select(on) })
        }
      </div>
      <div role="cell" class="name">
        <b title=${d.file}>${name}</b>
        <div class="sub">${d.name ?? d.id}${d.platform ? html` · ${d.platform}` : nothing}</div>
        ${d.error ? html`<div class="sub error-text" title=${d.error}>config error: ${d.error}</div>` : nothing}
        ${d.tags.length ? html`<div class="sub tags">${d.tags.map((t) => html`<span class="chip">${t}</span>`)}</div>` : nothing}
      </div>
      ${cols.includes("online") ? onlineCell(d, this.presence) : nothing}
      ${cols.includes("version") ? versionCell(d, this.presence) : nothing}
      ${cols.includes("status") ? statusCell(d, this.active, this.last) : nothing}
      ${cols.includes("trust") ? this.renderTrust() : nothing}
      ${cols.includes("last_build") ? lastBuildCell(d, this.last) : nothing}
      ${this.renderActions(name)}
      ${
        this.trustOpen
          ? html`<div class="why" id="why" role="note"><p>${describeVerdict("Running", d.trust.running)}</p><p>${describeVerdict("Pending", d.trust.pending)}</p></div>`
          : nothing
      }
      ${
        this.error
          ? html`<div class="alert" role="alert"><span>${this.error}</span><button aria-label="Dismiss error" @click=${() => emitAction(this, { action: "dismiss-error", deviceId: d.id })}>✕</button></div>`
          : nothing
      }
    `;
  }

  /** The trust badge: state colour; the reasons on hover (title) and on tap (a line below). */
  private renderTrust() {
    const t = this.device.trust;
    const v = t.running.state === "unknown" && t.pending.state !== "unknown" ? t.pending : t.running;
    const reasons = `${describeVerdict("Running", t.running)}\n${describeVerdict("Pending", t.pending)}`;
    const label = TRUST_LABELS[v.state] ?? v.state;
    const policy = this.device.trustPolicy;
    return html`<div role="cell" class="trust">
      <button class="chip tone-${trustTone(v.state)}" title=${reasons} aria-label=${`Trust ${label}. Show why`} aria-expanded=${this.trustOpen ? "true" : "false"}
        aria-controls="why" @click=${() => (this.trustOpen = !this.trustOpen)}><span class="dot" aria-hidden="true"></span>${label}</button>
      ${policy ? html`<span class="chip policy tone-${policy === "enforce" ? "neutral" : "warn"}" role="note" title=${POLICY_TITLES[policy] ?? policy} aria-label=${POLICY_TITLES[policy] ?? policy}>${policy}</span>` : nothing}
    </div>`;
  }

  private renderActions(name: string) {
    const d = this.device;
    const a = this.active;
    const policy = this.actions;
    const logJob = a?.id ?? this.last?.id ?? d.lastBuild?.jobId ?? null;
    const log = html`<button
      class="btn"
      ?disabled=${logJob == null}
      aria-label=${`Open the build log of ${name}`}
      @click=${() => logJob != null && emitAction(this, { action: "log", jobId: logJob })}
    >
      Log
    </button>`;
    // Configs can hold keys inline: reading them is admin-only, like changing them (a view-only user sees no Edit).
    const edit = html`<button
      class="btn"
      aria-label=${`Edit the config of ${name}`}
      @click=${() => emitAction(this, { action: "edit", deviceId: d.id })}
    >
      Edit
    </button>`;
    if (policy.mode === "hidden") return html`<div role="cell" class="actions">${log}</div>`;
    const paused = policy.mode === "disabled" ? policy.reason : null;
    const hasFirmware = uploadableFirmware(d) != null;
    // A current staged build: an upload (no digest) flashes exactly it, no recompile. Not while a
    // job is under way (an armed or queued install already will flash it).
    const staged = a ? null : installableStaged(d);
    const off = this.busy || !!d.error || paused != null;
    const why = (ok: string) => paused ?? (d.error ? "The device's configuration has an error" : ok);
    // An armed flash holds the device's newest approved build: flashing the stored image again would
    // only repeat it. A fresh build (Install) replaces the armed flash once approved (the sidecar's rule).
    const armed = isWaiting(a);
    const flashOff = off || armed;
    const flashWhy = (ok: string) =>
      armed && !off ? "A flash of this build is armed for the device: cancel it first" : why(ok);
    return html`<div role="cell" class="actions">
      <button
        class="btn"
        ?disabled=${off}
        aria-label=${`Compile ${name}`}
        title=${why("Compile (no upload)")}
        @click=${() => this.run("compile")}
      >
        Compile
      </button>
      <button
        class="btn"
        ?disabled=${off}
        aria-label=${`Compile and upload ${name}`}
        title=${why(
          armed
            ? "Build afresh: the new build replaces the armed flash"
            : this.offline()
              ? "Compile now, upload over the air when the device is back online"
              : "Compile, then upload over the air",
        )}
        @click=${() => this.run("compile_upload")}
      >
        Install
      </button>
      ${
        staged
          ? html`<button
              class="btn primary"
              ?disabled=${off}
              aria-label=${`Install the staged build on ${name}`}
              title=${why(`${stagedText(staged)}: flash it without recompiling`)}
              @click=${() => this.run("upload")}
            >
              Install staged
            </button>`
          : html`<button
              class="btn"
              ?disabled=${flashOff || !hasFirmware}
              aria-label=${`Upload stored firmware to ${name}`}
              title=${flashWhy(hasFirmware ? "Upload the stored firmware again (no recompile)" : "No stored firmware yet")}
              @click=${() => this.run("upload")}
            >
              Upload
            </button>`
      }
      ${a ? html`<button class="btn danger" ?disabled=${a.cancelRequested || paused != null} title=${paused ?? "Cancel this job"} aria-label=${`Cancel the ${a.state === "waiting_for_device" ? "armed" : a.state} job of ${name}`} @click=${() => emitAction(this, { action: "cancel", jobId: a.id, deviceId: d.id })}>Cancel</button>` : nothing}
      ${log}
      ${edit}
    </div>`;
  }
}

if (!customElements.get("forge-device-row")) customElements.define("forge-device-row", ForgeDeviceRow);

declare global {
  interface HTMLElementTagNameMap {
    "forge-device-row": ForgeDeviceRow;
  }
}
