// The one code-editor element the config editor uses, `<forge-code-editor>`. Each bundle defines it
// with its own editor: CodeMirror 6 in the standalone page (page/cm-editor.ts, kept out of the card
// bundle HA loads), Home Assistant's own `ha-code-editor` in the card (card/ha-code-editor.ts). This
// file holds the contract and a plain textarea used when neither is there.
import { LitElement, html, css } from "lit";

/** A problem ESPHome reported at a line of the file being edited. */
export interface EditorMarker {
  line: number;
  message: string;
}

export const CODE_EDITOR_TAG = "forge-code-editor";

/** What the config editor needs from `<forge-code-editor>`; `value-changed` carries `{value}`. */
export interface CodeEditorElement extends HTMLElement {
  value: string;
  markers: readonly EditorMarker[];
  /** Moves the cursor to a line and scrolls it into view. */
  revealLine(line: number): void;
}

export function valueChanged(from: HTMLElement, value: string): void {
  from.dispatchEvent(new CustomEvent("value-changed", { detail: { value }, bubbles: true, composed: true }));
}

/** The fallback: a textarea with the markers listed under it. */
export class ForgeTextareaEditor extends LitElement implements CodeEditorElement {
  static override properties = { value: { attribute: false }, markers: { attribute: false } };
  declare value: string;
  declare markers: readonly EditorMarker[];

  constructor() {
    super();
    this.value = "";
    this.markers = [];
  }

  static override styles = css`
    textarea {
      box-sizing: border-box;
      width: 100%;
      min-height: 360px;
      font-family: var(--code-font-family, ui-monospace, Menlo, Consolas, monospace);
      font-size: 13px;
      tab-size: 2;
      color: inherit;
      background: transparent;
      border: 0;
      padding: 8px;
      resize: vertical;
    }
  `;

  revealLine(line: number): void {
    const ta = this.renderRoot.querySelector("textarea");
    if (!ta) return;
    const lines = this.value.split("\n");
    const at = lines.slice(0, Math.max(0, line - 1)).reduce((n, l) => n + l.length + 1, 0);
    ta.focus();
    ta.setSelectionRange(at, at + (lines[line - 1]?.length ?? 0));
  }

  override render() {
    return html`<textarea spellcheck="false" aria-label="YAML" .value=${this.value}
      @input=${(e: Event) => {
        this.value = (e.target as HTMLTextAreaElement).value;
        valueChanged(this, this.value);
      }}></textarea>`;
  }
}

/** Defines the textarea editor unless a bundle already defined a richer one. */
export function defineFallbackEditor(): void {
  if (!customElements.get(CODE_EDITOR_TAG)) customElements.define(CODE_EDITOR_TAG, ForgeTextareaEditor);
}
