// The live log of one job: subscribes through the data source, streams into a LogWriter (ANSI
// colours, time-sliced appends), follows the tail unless the user scrolled up.
import { LitElement, html, css, nothing, type PropertyValues } from "lit";
import type { Job } from "@esphome-forge/shared";
import type { ForgeDataSource, Unsubscribe } from "../data/types.js";
import { formatDuration, formatElapsed } from "../format/duration.js";
import { jobTrustChip } from "./job-trust.js";
import { LogWriter } from "./log-writer.js";
import { ACTION_LABELS, baseStyles, jobTone } from "./styles.js";
import { blockedText } from "./trust.js";

export class ForgeLogPanel extends LitElement {
  static override properties = {
    source: { attribute: false },
    jobId: { attribute: false },
    job: { attribute: false },
    deviceName: { attribute: false },
    following: { state: true },
    problem: { state: true },
  };
  declare source: ForgeDataSource | null;
  declare jobId: number | null;
  declare job: Job | undefined;
  declare deviceName: string;
  declare following: boolean;
  declare problem: string | null;
  /** The writer, exposed for tests and the benchmark. */
  writer: LogWriter | null = null;
  private unsubscribe: Unsubscribe | null = null;
  private subscribedTo: { source: ForgeDataSource; jobId: number } | null = null;

  constructor() {
    super();
    this.source = null;
    this.jobId = null;
    this.deviceName = "";
    this.following = true;
    this.problem = null;
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: flex;
        flex-direction: column;
        border-top: 1px solid var(--forge-divider);
        min-height: 0;
      }
      header {
        display: flex;
        flex-wrap: wrap;
        gap: 8px;
        align-items: center;
        padding: 8px 12px;
      }
      header .title {
        flex: 1;
        min-width: 0;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .wrap {
        position: relative;
      }
      .scroller {
        height: var(--forge-log-height, 360px);
        overflow: auto;
        background: var(--forge-log-background, #1b1d21);
        color: var(--forge-log-color, #e3e3e3);
        font-family: var(--code-font-family, ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace);
        font-size: 12px;
        line-height: 1.45;
        padding: 8px 10px;
        box-sizing: border-box;
        overscroll-behavior: contain;
      }
      .content {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      .blk {
        content-visibility: auto;
        contain-intrinsic-size: auto 300px;
      }
      .note {
        color: #9aa0a6;
        font-style: italic;
        margin: 4px 0;
      }
      .jump {
        position: absolute;
        right: 18px;
        bottom: 12px;
      }
      .a-b { font-weight: 700; }
      .a-d { opacity: 0.7; }
      .a-i { font-style: italic; }
      .a-u { text-decoration: underline; }
      .a-f0 { color: #5c6370; } .a-f1 { color: #ef6b73; } .a-f2 { color: #8bd06a; } .a-f3 { color: #e5c07b; }
      .a-f4 { color: #61afef; } .a-f5 { color: #d291e4; } .a-f6 { color: #56b6c2; } .a-f7 { color: #dcdfe4; }
      .a-f8 { color: #7f848e; } .a-f9 { color: #ff7b86; } .a-f10 { color: #a5e075; } .a-f11 { color: #f0d58c; }
      .a-f12 { color: #7dc2ff; } .a-f13 { color: #e2a6f0; } .a-f14 { color: #6fd3df; } .a-f15 { color: #ffffff; }
      .a-g0 { background: #3b3f47; } .a-g1 { background: #8c2f37; } .a-g2 { background: #3d6b2b; } .a-g3 { background: #7a6424; }
      .a-g4 { background: #2a5480; } .a-g5 { background: #6b3b79; } .a-g6 { background: #2a6670; } .a-g7 { background: #9ca3af; }
      .a-g8 { background: #4b5160; } .a-g9 { background: #b23a45; } .a-g10 { background: #4f8a38; } .a-g11 { background: #9c8330; }
      .a-g12 { background: #3a6ea5; } .a-g13 { background: #8a4d9c; } .a-g14 { background: #368590; } .a-g15 { background: #d1d5db; }
    `,
  ];

  protected override firstUpdated(): void {
    const scroller = this.renderRoot.querySelector<HTMLElement>(".scroller")!;
    const content = this.renderRoot.querySelector<HTMLElement>(".content")!;
    this.writer = new LogWriter(scroller, content, {}, (f) => (this.following = f));
    this.resubscribe();
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has("jobId") || changed.has("source")) this.resubscribe();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.writer) this.resubscribe();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.subscribedTo = null;
  }

  private resubscribe(): void {
    const w = this.writer;
    if (!w) return;
    const source = this.source;
    const jobId = this.jobId;
    if (this.subscribedTo && source === this.subscribedTo.source && jobId === this.subscribedTo.jobId) return;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.subscribedTo = null;
    w.clear();
    this.problem = null;
    if (!source || jobId == null) return;
    this.subscribedTo = { source, jobId };
    this.unsubscribe = source.subscribeLog(jobId, 0, (u) => {
      if (u.kind === "text") w.write(u.text);
      else if (u.kind === "truncated") w.note("… older output was dropped by the log size limit …");
      else if (u.kind === "gap") w.note(`… ${u.bytes} bytes missing …`);
      else if (u.kind === "end") w.note(`— job ${u.state.replace(/_/g, " ")} —`);
      else this.problem = u.message;
    });
  }

  private close(): void {
    this.dispatchEvent(new CustomEvent("forge-log-close", { bubbles: true, composed: true }));
  }

  override render() {
    const j = this.job;
    const running = j?.state === "running";
    const blocked = blockedText(j?.trust);
    return html`
      <header>
        <span class="title"><b>Log</b> · ${this.deviceName || j?.deviceId || ""} ${j ? html`<span class="muted">${ACTION_LABELS[j.action] ?? j.action} #${j.id}</span>` : this.jobId != null ? html`<span class="muted">#${this.jobId}</span>` : nothing}</span>
        ${j ? html`<span class="chip ${jobTone(j.state)}">${j.state.replace(/_/g, " ")}${running && j.progress != null ? ` ${Math.round(j.progress)}%` : ""}</span>` : nothing}
        ${j ? jobTrustChip(j) : nothing}
        ${j ? html`<span class="muted">${running ? formatElapsed(j.startedAt) : formatDuration(j.durationMs)}</span>` : nothing}
        <button class="btn" aria-label="Close the log" @click=${this.close}>Close</button>
      </header>
      ${j?.error || blocked ? html`<div class="error-text" style="padding:0 12px 6px" role="alert" title=${j?.error ?? ""}>${blocked ?? `${j?.phase ? `${j.phase}: ` : ""}${j?.error}`}</div>` : nothing}
      ${this.problem ? html`<div class="error-text" style="padding:0 12px 6px" role="alert">${this.problem}</div>` : nothing}
      <div class="wrap">
        <div class="scroller" role="log" aria-live="off" aria-label=${`Build log of job ${this.jobId ?? ""}`} tabindex="0"><div class="content"></div></div>
        <button class="btn primary jump" ?hidden=${this.following} @click=${() => this.writer?.scrollToEnd()}>↓ Follow the end</button>
      </div>
    `;
  }
}

if (!customElements.get("forge-log-panel")) customElements.define("forge-log-panel", ForgeLogPanel);
