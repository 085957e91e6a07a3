// `<forge-code-editor>` in Home Assistant: HA's own `ha-code-editor` (its CodeMirror, YAML mode,
// theme). HA loads it lazily; opening a markdown card's editor makes HA load it, as mushroom does
// for the form elements it needs. ESPHome's errors are listed by the config editor under the field;
// revealing a line moves HA's editor there through its CodeMirror view. Without `ha-code-editor`
// (an HA that lacks it) the textarea fallback is used.
import { LitElement, html, css } from "lit";
import {
  CODE_EDITOR_TAG,
  ForgeTextareaEditor,
  valueChanged,
  type CodeEditorElement,
  type EditorMarker,
} from "../editor/code-editor.js";

interface HaCodeEditor extends HTMLElement {
  value: string;
  codemirror?: {
    state: { doc: { line(n: number): { from: number; to: number }; lines: number } };
    dispatch(tr: unknown): void;
    focus(): void;
  };
}

interface CardHelpers {
  createCardElement(
    config: Record<string, unknown>,
  ): HTMLElement & { constructor: { getConfigElement?: () => Promise<unknown> } };
}

let loading: Promise<boolean> | null = null;

/** Makes HA define `ha-code-editor` (it is lazy-loaded by the frontend); true when it is there. */
export function loadHaCodeEditor(): Promise<boolean> {
  if (customElements.get("ha-code-editor")) return Promise.resolve(true);
  loading ??= (async () => {
    try {
      const w = window as unknown as { loadCardHelpers?: () => Promise<CardHelpers> };
      const helpers = await w.loadCardHelpers?.();
      const card = helpers?.createCardElement({ type: "markdown", content: "" });
      await (card?.constructor as { getConfigElement?: () => Promise<unknown> } | undefined)?.getConfigElement?.();
    } catch {
      /* an HA without card helpers: the fallback editor is used */
    }
    await Promise.race([customElements.whenDefined("ha-code-editor"), new Promise((r) => setTimeout(r, 5000))]);
    return customElements.get("ha-code-editor") !== undefined;
  })();
  return loading;
}

export class ForgeHaCodeEditor extends LitElement implements CodeEditorElement {
  static override properties = { value: { attribute: false }, markers: { attribute: false }, ready: { state: true } };
  declare value: string;
  declare markers: readonly EditorMarker[];
  declare ready: boolean | null;

  constructor() {
    super();
    this.value = "";
    this.markers = [];
    this.ready = null;
  }

  static override styles = css`
    :host {
      display: block;
    }
    ha-code-editor {
      --code-mirror-height: auto;
      min-height: 360px;
    }
  `;

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.ready === null) void loadHaCodeEditor().then((ok) => (this.ready = ok));
  }

  revealLine(line: number): void {
    const inner = this.renderRoot.querySelector<HaCodeEditor & { revealLine?: (n: number) => void }>(
      "ha-code-editor, forge-textarea-editor",
    );
    if (inner && "revealLine" in inner && typeof inner.revealLine === "function") return inner.revealLine(line);
    const cm = (inner as HaCodeEditor | null)?.codemirror;
    if (!cm) return;
    const l = cm.state.doc.line(Math.min(Math.max(1, line), cm.state.doc.lines));
    cm.dispatch({ selection: { anchor: l.from, head: l.to }, scrollIntoView: true });
    cm.focus();
  }

  override render() {
    if (this.ready === null) return html`<p class="muted">Loading the editor…</p>`;
    if (!this.ready)
      return html`<forge-textarea-editor .value=${this.value} .markers=${this.markers}
        @value-changed=${(e: CustomEvent<{ value: string }>) => this.changed(e)}></forge-textarea-editor>`;
    return html`<ha-code-editor mode="yaml" .value=${this.value} autofocus
      @value-changed=${(e: CustomEvent<{ value: string }>) => this.changed(e)}></ha-code-editor>`;
  }

  private changed(e: CustomEvent<{ value: string }>): void {
    e.stopPropagation();
    this.value = e.detail.value;
    valueChanged(this, this.value);
  }
}

if (!customElements.get("forge-textarea-editor"))
  customElements.define("forge-textarea-editor", class extends ForgeTextareaEditor {});
if (!customElements.get(CODE_EDITOR_TAG)) customElements.define(CODE_EDITOR_TAG, ForgeHaCodeEditor);
