// The one view shell both hosts use (the Lovelace card and the standalone page): tabs for
// devices, queue, workers and schedules, the log panel, confirmations, and errors shown where they happened.
import { LitElement, html, css, nothing } from "lit";
import type { CreateJobsResponse } from "@esphome-forge/shared";
import { initialState } from "../data/reducer.js";
import {
  toForgeError,
  type DevicePresence,
  type ForgeDataSource,
  type ForgeState,
  type Unsubscribe,
} from "../data/types.js";
import type { Column } from "./columns.js";
import { connectionNotice, type ConnectionNotice } from "./connection-notice.js";
import { ACTIONS_ENABLED, NATIVE_KIT, type ActionPolicy, type ControlKit } from "./controls.js";
import type { ForgeConfirmDialog } from "./confirm-dialog.js";
import { ROW_ACTION, type JobCommand, type RowActionDetail } from "./events.js";
import { baseStyles } from "./styles.js";
import { VIEW_LABELS, VIEW_NAMES, type ViewName } from "./view-names.js";
import "./confirm-dialog.js";
import "./devices-view.js";
import "./log-panel.js";
import "./queue-view.js";
import "./schedules-view.js";
import "./routing-view.js";
import "./trust-status.js";
import "./workers-view.js";
import "./config-editor.js";
import "./new-device-dialog.js";
import type { ForgeNewDeviceDialog } from "./new-device-dialog.js";

export class ForgeDashboard extends LitElement {
  static override properties = {
    source: { attribute: false },
    views: { attribute: false },
    scopeTags: { attribute: false },
    columns: { attribute: false },
    presence: { attribute: false },
    compact: { type: Boolean, reflect: true },
    kit: { attribute: false },
    readOnly: { attribute: false },
    state: { state: true },
    tab: { state: true },
    logJobId: { state: true },
    editDeviceId: { state: true },
    rowErrors: { state: true },
    busy: { state: true },
    banner: { state: true },
    notice: { state: true },
  };
  declare source: ForgeDataSource | null;
  declare views: readonly ViewName[];
  declare scopeTags: readonly string[];
  declare columns: readonly Column[];
  declare presence: ReadonlyMap<string, DevicePresence>;
  declare compact: boolean;
  /** HA's own form controls or plain ones (see controls.ts). */
  declare kit: ControlKit;
  /** Why this user may not build or flash (a Home Assistant user who is not an admin), else null. */
  declare readOnly: string | null;
  declare state: ForgeState;
  declare tab: ViewName;
  declare logJobId: number | null;
  /** The device whose config is open in the editor. */
  declare editDeviceId: string | null;
  declare rowErrors: ReadonlyMap<string, string>;
  declare busy: ReadonlySet<string>;
  declare banner: string | null;
  declare notice: string | null;
  private unsubscribe: Unsubscribe | null = null;
  private subscribed: ForgeDataSource | null = null;
  /** Re-renders the "unreachable since … (5 min ago)" banner while it shows. */
  private clock: ReturnType<typeof setInterval> | null = null;
  private policy: ActionPolicy = ACTIONS_ENABLED;
  private connection: ConnectionNotice | null = null;

  constructor() {
    super();
    this.source = null;
    this.views = VIEW_NAMES;
    this.scopeTags = [];
    this.columns = ["online", "version", "status", "trust", "last_build"];
    this.presence = new Map();
    this.compact = false;
    this.kit = NATIVE_KIT;
    this.readOnly = null;
    this.state = initialState();
    this.tab = "devices";
    this.logJobId = null;
    this.editDeviceId = null;
    this.rowErrors = new Map();
    this.busy = new Set();
    this.banner = null;
    this.notice = null;
    this.addEventListener(ROW_ACTION, (e) => void this.onAction(e.detail));
    this.addEventListener("forge-log-close", () => (this.logJobId = null));
    this.addEventListener("forge-editor-close", () => (this.editDeviceId = null));
    this.addEventListener("forge-device-created", (e) => {
      const { deviceId, warnings } = (e as CustomEvent<{ deviceId: string; warnings: string[] }>).detail;
      this.notice = `Created ${deviceId}.${warnings.length ? ` ${warnings.join(" ")}` : ""}`;
      void this.openEditor(deviceId);
    });
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: block;
      }
      :host([compact]) {
        --forge-row-pad: 3px 10px;
        font-size: 13px;
      }
      [role="tablist"] {
        display: flex;
        gap: 2px;
        padding: 0 8px;
        border-bottom: 1px solid var(--forge-divider);
        overflow-x: auto;
      }
      [role="tab"] {
        font: inherit;
        font-weight: 500;
        color: var(--forge-muted);
        background: none;
        border: 0;
        border-bottom: 2px solid transparent;
        padding: 10px 12px 8px;
        cursor: pointer;
      }
      [role="tab"][aria-selected="true"] {
        color: var(--forge-accent);
        border-bottom-color: var(--forge-accent);
      }
      .summary {
        padding: 6px 12px 0;
        font-size: 0.85em;
      }
      .banner {
        margin: 8px 12px 0;
        padding: 8px 12px;
        border-radius: 8px;
        display: flex;
        gap: 8px;
        justify-content: space-between;
        align-items: center;
        background: color-mix(in srgb, var(--tone) 12%, transparent);
        color: var(--tone);
      }
      .banner button {
        all: unset;
        cursor: pointer;
        padding: 0 4px;
      }
      .banner.notice {
        color: var(--primary-text-color, #212121);
        border-left: 4px solid var(--tone);
      }
      .banner .detail {
        font-size: 0.9em;
        margin-top: 2px;
      }
      .banner details {
        font-size: 0.85em;
        margin-top: 4px;
        color: var(--forge-muted);
        word-break: break-word;
      }
      .banner summary {
        cursor: pointer;
      }
      .readonly {
        padding: 4px 12px 0;
        font-size: 0.85em;
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    this.attach();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.detach();
    this.setClock(false);
  }

  protected override willUpdate(): void {
    if (this.isConnected && this.source !== this.subscribed) this.attach();
    if (!this.shownViews.includes(this.tab) && this.shownViews[0]) this.tab = this.shownViews[0];
    this.connection = this.source ? connectionNotice(this.state, this.source.kind) : null;
    this.setClock(!!this.connection?.paused && this.isConnected);
    this.actionPolicy(this.connection?.paused ?? null);
  }

  private setClock(on: boolean): void {
    if (on && !this.clock) this.clock = setInterval(() => this.requestUpdate(), 30_000);
    else if (!on && this.clock) {
      clearInterval(this.clock);
      this.clock = null;
    }
  }

  /** One policy object per distinct situation, so rows re-render only when it changes. */
  private actionPolicy(paused: string | null): ActionPolicy {
    const p = this.policy;
    const next: ActionPolicy = this.readOnly
      ? { mode: "hidden", reason: this.readOnly }
      : paused
        ? { mode: "disabled", reason: paused }
        : ACTIONS_ENABLED;
    const same =
      p.mode === next.mode && (p.mode === "enabled" || (next.mode !== "enabled" && p.reason === next.reason));
    if (!same) this.policy = next;
    return this.policy;
  }

  private attach(): void {
    if (this.subscribed === this.source && this.unsubscribe) return;
    this.detach();
    if (!this.source) return;
    this.subscribed = this.source;
    this.unsubscribe = this.source.subscribe((s) => (this.state = s));
  }

  private detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.subscribed = null;
  }

  private setRowError(ids: string[], message: string | null): void {
    const next = new Map(this.rowErrors);
    for (const id of ids) {
      if (message) next.set(id, message);
      else next.delete(id);
    }
    this.rowErrors = next;
  }

  private setBusy(ids: string[], on: boolean): void {
    const next = new Set(this.busy);
    for (const id of ids) {
      if (on) next.add(id);
      else next.delete(id);
    }
    this.busy = next;
  }

  private async onAction(a: RowActionDetail): Promise<void> {
    if (a.action === "log") {
      this.logJobId = a.jobId;
      await this.updateComplete;
      this.renderRoot.querySelector("forge-log-panel")?.scrollIntoView?.({ block: "nearest", behavior: "smooth" });
    } else if (a.action === "edit") await this.openEditor(a.deviceId);
    else if (a.action === "dismiss-error") this.setRowError([a.deviceId], null);
    else if (a.action === "cancel") {
      try {
        await this.source?.cancel(a.jobId);
      } catch (err) {
        const msg = `Cancel failed: ${toForgeError(err).message}`;
        if (a.deviceId) this.setRowError([a.deviceId], msg);
        else this.banner = msg;
      }
    } else await this.runJobs(a.action, a.deviceIds, a.whenOnline ?? false);
  }

  private async openEditor(deviceId: string): Promise<void> {
    this.editDeviceId = deviceId;
    await this.updateComplete;
    this.renderRoot.querySelector("forge-config-editor")?.scrollIntoView?.({ block: "nearest", behavior: "smooth" });
  }

  private async runJobs(action: JobCommand, ids: string[], whenOnline: boolean): Promise<void> {
    const src = this.source;
    if (!src || ids.length === 0 || this.policy.mode !== "enabled") return;
    if (action !== "compile" && ids.length > 1) {
      const dialog = this.renderRoot.querySelector<ForgeConfirmDialog>("forge-confirm-dialog")!;
      const what = action === "upload" ? "flash its stored firmware" : "compile and flash new firmware";
      const when = whenOnline ? " when it is online (an offline or sleeping device when it is back)" : "";
      const ok = await dialog.ask(
        `Update ${ids.length} devices over the air?`,
        `Each of the ${ids.length} devices will ${what}${when} and restart.`,
        `Update ${ids.length} devices`,
      );
      if (!ok) return;
    }
    this.setBusy(ids, true);
    this.setRowError(ids, null);
    try {
      const res: CreateJobsResponse =
        action === "upload"
          ? await src.upload(ids, { whenOnline })
          : await src.compile(ids, { upload: action === "compile_upload", whenOnline });
      for (const s of res.skipped) this.setRowError([s.deviceId], `Not queued: ${s.reason}`);
      if (ids.length > 1)
        this.notice = `Queued ${res.jobs.length} job${res.jobs.length === 1 ? "" : "s"}${res.skipped.length ? `, skipped ${res.skipped.length}` : ""}.`;
    } catch (err) {
      const msg = toForgeError(err).message;
      if (ids.length === 1) this.setRowError(ids, msg);
      else this.banner = msg;
    } finally {
      this.setBusy(ids, false);
    }
  }

  /** The configured views this user may see (routing rules: administrators only). */
  private get shownViews(): readonly ViewName[] {
    return this.views.filter((v) => v !== "routing" || !!this.source?.routing);
  }

  private onTabKey(e: KeyboardEvent): void {
    const views = this.shownViews;
    const i = views.indexOf(this.tab);
    const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    this.tab = views[(i + step + views.length) % views.length]!;
    void this.updateComplete.then(() =>
      this.renderRoot.querySelector<HTMLElement>('[role="tab"][aria-selected="true"]')?.focus(),
    );
  }

  override render() {
    const s = this.state;
    const logJob = this.logJobId != null ? s.jobs.get(this.logJobId) : undefined;
    const logDevice = logJob ? s.devices.get(logJob.deviceId) : undefined;
    let running = 0;
    let queued = 0;
    let armed = 0;
    for (const j of s.jobs.values()) {
      if (j.state === "running") running++;
      else if (j.state === "queued" || j.state === "blocked") queued++;
      else if (j.state === "waiting_for_device") armed++;
    }
    const online = [...s.workers.values()].filter((w) => w.online).length;
    const notice = this.connection;
    return html`
      ${
        this.shownViews.length > 1
          ? html`<div role="tablist" aria-label="Forge views" @keydown=${this.onTabKey}>
            ${this.shownViews.map((v) => html`<button role="tab" id=${`tab-${v}`} aria-controls="panel" aria-selected=${v === this.tab ? "true" : "false"} tabindex=${v === this.tab ? 0 : -1} @click=${() => (this.tab = v)}>${VIEW_LABELS[v]}</button>`)}
          </div>`
          : nothing
      }
      <div class="summary muted" aria-live="polite">${s.devices.size} devices · ${running} running · ${queued} queued${armed ? ` · ${armed} armed` : ""} · ${online}/${s.workers.size} workers online${
        this.source?.workspace && !this.readOnly
          ? html` · <button class="btn" @click=${() => this.renderRoot.querySelector<ForgeNewDeviceDialog>("forge-new-device-dialog")?.open()}>New device</button>`
          : nothing
      }${s.workspace?.remote.state === "failing" ? html` · <span class="error-text" title=${s.workspace.remote.lastError ?? ""}>config push failing</span>` : nothing}</div>
      ${this.source?.trustStatus ? html`<forge-trust-status .feed=${this.source.trustStatus}></forge-trust-status>` : nothing}
      ${this.readOnly ? html`<div class="readonly muted" role="note">View only: ${this.readOnly}</div>` : nothing}
      ${
        notice
          ? html`<div class="banner notice ${notice.tone}" role="status">
              <div>
                <b>${notice.title}</b>
                ${notice.detail ? html`<div class="detail">${notice.detail}</div>` : nothing}
                ${notice.cause ? html`<details><summary>Details</summary>${notice.cause}</details>` : nothing}
              </div>
            </div>`
          : nothing
      }
      ${[...s.alerts.values()].map((a) => html`<div class="banner tone-warn" role="status" aria-label="Alert"><span>⚠ ${a.message}</span></div>`)}
      ${s.esphomeRelease ? html`<div class="banner tone-info" role="status"><span>ESPHome ${s.esphomeRelease.version} is available (Forge builds with ${s.esphomeRelease.fleetVersion ?? "each worker's own version"}) — <a href=${s.esphomeRelease.releaseNotesUrl} target="_blank" rel="noreferrer noopener">release notes</a></span></div>` : nothing}
      ${this.banner ? html`<div class="banner tone-bad" role="alert"><span>${this.banner}</span><button aria-label="Dismiss" @click=${() => (this.banner = null)}>✕</button></div>` : nothing}
      ${this.notice ? html`<div class="banner tone-ok" role="status"><span>${this.notice}</span><button aria-label="Dismiss" @click=${() => (this.notice = null)}>✕</button></div>` : nothing}
      <div id="panel" role="tabpanel" aria-labelledby=${`tab-${this.tab}`}>${this.renderView()}</div>
      ${
        this.logJobId != null
          ? html`<forge-log-panel .source=${this.source} .jobId=${this.logJobId} .job=${logJob} .deviceName=${logDevice?.friendlyName || logDevice?.name || ""}></forge-log-panel>`
          : nothing
      }
      ${
        this.editDeviceId != null
          ? html`<forge-config-editor .source=${this.source} .state=${this.state} .deviceId=${this.editDeviceId}></forge-config-editor>`
          : nothing
      }
      ${this.source?.workspace ? html`<forge-new-device-dialog .source=${this.source}></forge-new-device-dialog>` : nothing}
      <forge-confirm-dialog></forge-confirm-dialog>
    `;
  }

  private renderView() {
    switch (this.tab) {
      case "devices":
        return html`<forge-devices-view
          .state=${this.state}
          .presence=${this.presence}
          .scopeTags=${this.scopeTags}
          .columns=${this.columns}
          .rowErrors=${this.rowErrors}
          .busy=${this.busy}
          .kit=${this.kit}
          .actions=${this.policy}
        ></forge-devices-view>`;
      case "queue":
        return html`<forge-queue-view .state=${this.state} .actions=${this.policy}></forge-queue-view>`;
      case "workers":
        return html`<forge-workers-view .state=${this.state} .enrolment=${this.readOnly ? undefined : this.source?.enrolment}></forge-workers-view>`;
      case "schedules":
        // Schedules are edited only where every other action is allowed (not view-only, not paused).
        return html`<forge-schedules-view
          .state=${this.state}
          .actions=${this.policy.mode === "enabled" ? this.source?.schedules : undefined}
        ></forge-schedules-view>`;
      case "routing":
        return html`<forge-routing-view .state=${this.state} .actions=${this.source?.routing}></forge-routing-view>`;
    }
  }
}

export { VIEW_NAMES, type ViewName };

if (!customElements.get("forge-dashboard")) customElements.define("forge-dashboard", ForgeDashboard);

declare global {
  interface HTMLElementTagNameMap {
    "forge-dashboard": ForgeDashboard;
  }
}
