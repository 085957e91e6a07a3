// `<forge-code-editor>` for the standalone page: CodeMirror 6 with YAML highlighting, line numbers,
// search, undo, and ESPHome's errors as lint markers at their lines. Only the page's bundle imports
// this file, so CodeMirror never weighs on the card bundle Home Assistant loads.
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { yaml } from "@codemirror/lang-yaml";
import {
  bracketMatching,
  defaultHighlightStyle,
  foldGutter,
  indentOnInput,
  syntaxHighlighting,
} from "@codemirror/language";
import { lintGutter, setDiagnostics, type Diagnostic } from "@codemirror/lint";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { EditorState } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { CODE_EDITOR_TAG, valueChanged, type CodeEditorElement, type EditorMarker } from "../editor/code-editor.js";

const theme = EditorView.theme({
  "&": { fontSize: "13px", minHeight: "360px", color: "var(--primary-text-color)" },
  ".cm-scroller": { fontFamily: "var(--code-font-family, ui-monospace, Menlo, Consolas, monospace)" },
  ".cm-gutters": {
    background: "transparent",
    borderRight: "1px solid var(--divider-color)",
    color: "var(--secondary-text-color)",
  },
  ".cm-activeLine, .cm-activeLineGutter": { background: "color-mix(in srgb, var(--primary-color) 8%, transparent)" },
  "&.cm-focused": { outline: "none" },
  ".cm-content": { caretColor: "var(--primary-text-color)" },
});

export class ForgeCodeMirror extends HTMLElement implements CodeEditorElement {
  private view: EditorView | null = null;
  private text = "";
  private marks: readonly EditorMarker[] = [];

  get value(): string {
    return this.view ? this.view.state.doc.toString() : this.text;
  }

  set value(v: string) {
    this.text = v;
    if (this.view && v !== this.view.state.doc.toString())
      this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: v } });
  }

  get markers(): readonly EditorMarker[] {
    return this.marks;
  }

  set markers(m: readonly EditorMarker[]) {
    this.marks = m;
    this.applyMarkers();
  }

  connectedCallback(): void {
    if (this.view) return;
    this.view = new EditorView({
      parent: this,
      state: EditorState.create({
        doc: this.text,
        extensions: [
          lineNumbers(),
          highlightActiveLineGutter(),
          foldGutter(),
          lintGutter(),
          history(),
          drawSelection(),
          indentOnInput(),
          bracketMatching(),
          highlightActiveLine(),
          highlightSelectionMatches(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          EditorState.tabSize.of(2),
          keymap.of([indentWithTab, ...defaultKeymap, ...historyKeymap, ...searchKeymap]),
          yaml(),
          theme,
          EditorView.contentAttributes.of({ "aria-label": "YAML" }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) valueChanged(this, u.state.doc.toString());
          }),
        ],
      }),
    });
    this.applyMarkers();
  }

  disconnectedCallback(): void {
    this.view?.destroy();
    this.view = null;
  }

  revealLine(line: number): void {
    const v = this.view;
    if (!v) return;
    const l = v.state.doc.line(Math.min(Math.max(1, line), v.state.doc.lines));
    v.dispatch({ selection: { anchor: l.from, head: l.to }, scrollIntoView: true });
    v.focus();
  }

  private applyMarkers(): void {
    const v = this.view;
    if (!v) return;
    const doc = v.state.doc;
    const diagnostics: Diagnostic[] = this.marks
      .filter((m) => m.line >= 1 && m.line <= doc.lines)
      .map((m) => {
        const l = doc.line(m.line);
        return { from: l.from, to: l.to, severity: "error", message: m.message, source: "esphome config" };
      });
    v.dispatch(setDiagnostics(v.state, diagnostics));
  }
}

if (!customElements.get(CODE_EDITOR_TAG)) customElements.define(CODE_EDITOR_TAG, ForgeCodeMirror);
