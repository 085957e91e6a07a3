// A device's config history: its commits (who, from where, when), the diff of any version against
// the one before it or against now, and restoring a version (a new commit, never a reset).
import { LitElement, html, css, nothing } from "lit";
import type { HistoryEntry } from "@esphome-forge/shared";
import { toForgeError, type ForgeDataSource } from "../data/types.js";
import { formatRelative } from "../format/relative-time.js";
import { baseStyles } from "./styles.js";
import "./diff-view.js";

const PAGE = 20;
const SOURCE_LABELS: Record<string, string> = {
  api: "API",
  card: "card",
  ha: "Home Assistant",
  external: "outside Forge",
  forge: "Forge",
};

export class ForgeConfigHistory extends LitElement {
  static override properties = {
    source: { attribute: false },
    deviceId: { attribute: false },
    entries: { state: true },
    nextOffset: { state: true },
    selected: { state: true },
    diff: { state: true },
    problem: { state: true },
    busy: { state: true },
  };
  declare source: ForgeDataSource | null;
  declare deviceId: string;
  declare entries: HistoryEntry[];
  declare nextOffset: number | null;
  declare selected: { commit: string; against: "previous" | "now" } | null;
  declare diff: string | null;
  declare problem: string | null;
  declare busy: boolean;
  private loadedFor = "";

  constructor() {
    super();
    this.source = null;
    this.deviceId = "";
    this.entries = [];
    this.nextOffset = null;
    this.selected = null;
    this.diff = null;
    this.problem = null;
    this.busy = false;
  }

  static override styles = [
    baseStyles,
    css`
      ol {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      li {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 10px;
        align-items: baseline;
        padding: 6px 12px;
        border-top: 1px solid var(--forge-divider);
      }
      li[aria-current="true"] {
        background: color-mix(in srgb, var(--forge-accent) 8%, transparent);
      }
      .subject {
        flex: 1 1 240px;
        min-width: 0;
      }
      .who {
        font-size: 0.85em;
      }
      .acts {
        display: flex;
        gap: 4px;
      }
      .problem {
        margin: 8px 12px;
      }
      .more {
        padding: 8px 12px;
      }
    `,
  ];

  protected override willUpdate(): void {
    const key = `${this.deviceId}`;
    if (this.source?.workspace && this.deviceId && key !== this.loadedFor) {
      this.loadedFor = key;
      this.entries = [];
      this.selected = null;
      this.diff = null;
      void this.load(0);
    }
  }

  /** Reloads from the newest commit (after a save or a restore). */
  reload(): void {
    this.loadedFor = "";
    this.requestUpdate();
  }

  private async load(offset: number): Promise<void> {
    try {
      const page = await this.source!.workspace!.history(this.deviceId, offset, PAGE);
      this.entries = offset === 0 ? page.entries : [...this.entries, ...page.entries];
      this.nextOffset = page.nextOffset;
      this.problem = null;
    } catch (err) {
      this.problem = toForgeError(err).message;
    }
  }

  private async show(commit: string, against: "previous" | "now"): Promise<void> {
    this.selected = { commit, against };
    this.diff = null;
    try {
      const i = this.entries.findIndex((e) => e.commit === commit);
      const older = this.entries[i + 1]?.commit;
      const ws = this.source!.workspace!;
      const r =
        against === "now"
          ? await ws.diff(this.deviceId, commit)
          : older
            ? await ws.diff(this.deviceId, older, commit)
            : null;
      this.diff = r ? r.diff : "";
      this.problem = null;
    } catch (err) {
      this.problem = toForgeError(err).message;
    }
  }

  private async restore(entry: HistoryEntry): Promise<void> {
    this.busy = true;
    try {
      const r = await this.source!.workspace!.restore(this.deviceId, entry.commit);
      this.dispatchEvent(new CustomEvent("forge-config-restored", { detail: r, bubbles: true, composed: true }));
      this.reload();
    } catch (err) {
      this.problem = `Restore failed: ${toForgeError(err).message}`;
    } finally {
      this.busy = false;
    }
  }

  override render() {
    return html`
      ${this.problem ? html`<p class="problem error-text" role="alert">${this.problem}</p>` : nothing}
      <ol aria-label="Config history">
        ${this.entries.map((e, i) => this.renderEntry(e, i))}
      </ol>
      ${this.entries.length === 0 && !this.problem ? html`<p class="more muted">No history yet.</p>` : nothing}
      ${this.nextOffset != null ? html`<div class="more"><button class="btn" @click=${() => this.load(this.nextOffset!)}>Older versions</button></div>` : nothing}
      ${
        this.selected && this.diff !== null
          ? html`<forge-diff-view .diff=${this.diff} .label=${`Changes of ${this.selected.commit.slice(0, 7)} ${this.selected.against === "now" ? "up to now" : "against the version before"}`}></forge-diff-view>`
          : nothing
      }
    `;
  }

  private renderEntry(e: HistoryEntry, i: number) {
    const current = this.selected?.commit === e.commit;
    const when = formatRelative(e.date);
    return html`<li aria-current=${current ? "true" : "false"}>
      <code class="mono">${e.shortCommit}</code>
      <span class="subject">${e.subject}</span>
      <span class="who muted">${e.author}${e.source ? ` · ${SOURCE_LABELS[e.source] ?? e.source}` : ""} · <time datetime=${e.date} title=${e.date}>${when}</time></span>
      <span class="acts">
        ${i + 1 < this.entries.length || this.nextOffset != null ? html`<button class="btn" aria-label=${`Show the changes of ${e.shortCommit}`} @click=${() => this.show(e.commit, "previous")}>Changes</button>` : nothing}
        ${i > 0 ? html`<button class="btn" aria-label=${`Compare ${e.shortCommit} with now`} @click=${() => this.show(e.commit, "now")}>Diff with now</button>` : nothing}
        ${i > 0 ? html`<button class="btn" ?disabled=${this.busy} aria-label=${`Restore the version ${e.shortCommit}`} @click=${() => this.restore(e)}>Restore</button>` : nothing}
      </span>
    </li>`;
  }
}

if (!customElements.get("forge-config-history")) customElements.define("forge-config-history", ForgeConfigHistory);
