// A unified diff, coloured by line kind (added, removed, hunk header), as escaped text.
import { LitElement, html, css, nothing } from "lit";
import { baseStyles } from "./styles.js";

function kind(line: string): string {
  if (line.startsWith("+++") || line.startsWith("---") || line.startsWith("diff ") || line.startsWith("index "))
    return "meta";
  if (line.startsWith("@@")) return "hunk";
  if (line.startsWith("+")) return "add";
  if (line.startsWith("-")) return "del";
  return "ctx";
}

export class ForgeDiffView extends LitElement {
  static override properties = { diff: { attribute: false }, label: { attribute: false } };
  declare diff: string;
  declare label: string;

  constructor() {
    super();
    this.diff = "";
    this.label = "Differences";
  }

  static override styles = [
    baseStyles,
    css`
      pre {
        margin: 0;
        padding: 6px 0;
        overflow: auto;
        max-height: 360px;
        font-size: 12px;
        line-height: 1.45;
      }
      span {
        display: block;
        padding: 0 10px;
        white-space: pre;
      }
      .add {
        background: color-mix(in srgb, var(--forge-ok) 16%, transparent);
      }
      .del {
        background: color-mix(in srgb, var(--forge-bad) 16%, transparent);
      }
      .hunk {
        color: var(--forge-info);
      }
      .meta {
        color: var(--forge-muted);
      }
    `,
  ];

  override render() {
    if (!this.diff) return html`<p class="muted" role="status">No differences.</p>`;
    const lines = this.diff.replace(/\n$/, "").split("\n");
    return html`<pre class="mono" role="region" aria-label=${this.label}>${lines.map(
      (l) => html`<span class=${kind(l)}>${l || nothing}</span>`,
    )}</pre>`;
  }
}

if (!customElements.get("forge-diff-view")) customElements.define("forge-diff-view", ForgeDiffView);
