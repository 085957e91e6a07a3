// Build workers: online state, slots in use, the jobs they are running, platform and tags.
import { LitElement, html, css, nothing } from "lit";
import type { Worker } from "@esphome-forge/shared";
import type { EnrolmentActions, ForgeState } from "../data/types.js";
import { formatRelative } from "../format/relative-time.js";
import { baseStyles } from "./styles.js";

const formatFingerprint = (fp: string) => fp.replace(/(.{4})(?!$)/g, "$1 ");

export class ForgeWorkersView extends LitElement {
  static override properties = {
    state: { attribute: false },
    enrolment: { attribute: false },
    busy: { state: true },
    error: { state: true },
  };
  declare state: ForgeState;
  /** An admin's approve/reject (absent for users who may not decide: they see how to ask an admin). */
  declare enrolment: EnrolmentActions | undefined;
  declare busy: string | null;
  declare error: string | null;

  constructor() {
    super();
    this.busy = null;
    this.error = null;
  }

  private async decide(w: Worker, approve: boolean): Promise<void> {
    if (!this.enrolment || !w.pendingKey) return;
    this.busy = w.id;
    this.error = null;
    try {
      // The fingerprint shown is the one approved: a key swapped meanwhile is refused by the sidecar.
      if (approve) await this.enrolment.approve(w.id, w.pendingKey.fingerprint);
      else await this.enrolment.reject(w.id);
    } catch (err) {
      this.error = `${w.name}: ${(err as Error).message}`;
    } finally {
      this.busy = null;
    }
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: block;
        padding: 8px 12px 12px;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(240px, 1fr));
        gap: 10px;
      }
      li {
        border: 1px solid var(--forge-divider);
        border-radius: 10px;
        padding: 10px 12px;
        display: grid;
        gap: 6px;
      }
      .top {
        display: flex;
        justify-content: space-between;
        gap: 8px;
        align-items: baseline;
      }
      .slots {
        display: flex;
        gap: 3px;
      }
      .slot {
        flex: 1;
        height: 6px;
        border-radius: 3px;
        background: var(--forge-divider);
      }
      .slot.busy {
        background: var(--forge-accent);
      }
      .fingerprint {
        word-break: break-all;
        font-size: 0.85em;
      }
      .empty {
        color: var(--forge-muted);
        padding: 12px 0;
      }
    `,
  ];

  private jobLabel(id: number): string {
    const j = this.state.jobs.get(id);
    if (!j) return `#${id}`;
    const d = this.state.devices.get(j.deviceId);
    return `${d?.friendlyName || d?.name || j.deviceId} (#${id})`;
  }

  override render() {
    const workers = [...this.state.workers.values()].sort(
      (a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name),
    );
    if (!workers.length)
      return html`<div class="empty">No build workers yet. Pair one with <span class="mono">esphome-forge worker pair</span>.</div>`;
    return html`${this.error ? html`<div class="error-text" role="alert">${this.error}</div>` : nothing}<ul aria-label="Build workers">
      ${workers.map((w) => this.renderWorker(w))}
    </ul>`;
  }

  /** Where the worker stands with the admin: a key waiting for approval shows its fingerprint to compare. */
  private renderEnrolment(w: Worker) {
    if (w.enrolment === "revoked") return html`<div><span class="chip tone-bad">revoked</span></div>`;
    if (w.enrolment === "rejected") return html`<div><span class="chip tone-bad">rejected</span></div>`;
    if (!w.pendingKey) return nothing;
    const what = w.pendingKey.kind === "rotate" ? "new key waits for approval" : "waits for approval";
    return html`<div role="status">
      <span class="chip tone-warn">${what}</span>
      <div class="muted">key fingerprint (SHA-256), compare with the worker's:</div>
      <div class="mono fingerprint">${formatFingerprint(w.pendingKey.fingerprint)}</div>
      ${
        this.enrolment
          ? html`<div>
              <button class="btn" ?disabled=${this.busy !== null} aria-label=${`Approve the key of ${w.name}`} @click=${() => this.decide(w, true)}>Approve</button>
              <button class="btn" ?disabled=${this.busy !== null} aria-label=${`Reject the key of ${w.name}`} @click=${() => this.decide(w, false)}>Reject</button>
            </div>`
          : nothing
      }
      <div class="muted">${this.enrolment ? "Compare the fingerprint first. " : "An administrator approves it here, in Home Assistant (Repairs) or with "}${this.enrolment ? nothing : html`<span class="mono">esphome-forge workers approve ${w.id}</span>`}${this.enrolment ? "" : "; "}until then it gets no job and no secret.</div>
    </div>`;
  }

  private renderWorker(w: Worker) {
    const sys = w.system;
    return html`<li aria-label=${`Worker ${w.name}, ${w.online ? "online" : "offline"}, ${w.busySlots} of ${w.slots} slots busy`}>
      <div class="top">
        <b>${w.name}${w.local ? html` <span class="chip">built-in</span>` : nothing}</b>
        <span class="chip ${w.online ? "tone-ok" : "tone-bad"}">${w.online ? "online" : "offline"}</span>
      </div>
      ${this.renderEnrolment(w)}
      ${w.outdated ? html`<div class="chip tone-bad" title=${w.problem ?? ""}>outdated: ${w.problem ?? "upgrade this worker"}</div>` : nothing}
      ${w.diskLow ? html`<div class="chip tone-warn">low on disk${w.diskFreeBytes != null ? ` (${formatMiB(w.diskFreeBytes)} free)` : ""}: gets no jobs</div>` : nothing}
      <div>
        <div class="muted">${w.busySlots} / ${w.slots} slots in use</div>
        <div class="slots" aria-hidden="true">${Array.from({ length: w.slots }, (_, i) => html`<span class="slot ${i < w.busySlots ? "busy" : ""}"></span>`)}</div>
      </div>
      <div>${w.activeJobIds.length ? w.activeJobIds.map((id) => html`<div>▶ ${this.jobLabel(id)}</div>`) : html`<span class="muted">idle</span>`}</div>
      <div class="muted">${w.platform ?? (sys ? `${sys.os}/${sys.arch}` : "unknown platform")}${sys ? ` · ${sys.cpus} CPUs` : ""}${w.version ? ` · v${w.version}` : ""}</div>
      ${w.tags.length ? html`<div>${w.tags.map((t) => html`<span class="chip">${t}</span> `)}</div>` : nothing}
      ${w.esphomeVersions.length ? html`<div class="muted">ESPHome ${w.esphomeVersions.join(", ")}</div>` : nothing}
      ${!w.online && w.lastSeenAt ? html`<div class="muted">last seen ${formatRelative(w.lastSeenAt)}</div>` : nothing}
    </li>`;
  }
}

function formatMiB(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}

if (!customElements.get("forge-workers-view")) customElements.define("forge-workers-view", ForgeWorkersView);
