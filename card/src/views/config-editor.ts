// The config editor of one device: its YAML in the bundle's code editor, Save (Ctrl+S) as one
// commit guarded by the hash of what was loaded, then the validate job's result — ESPHome's errors
// marked at their lines, or an offer to compile or install — a refused save's diff, and the history.
import { LitElement, html, css, nothing, type PropertyValues } from "lit";
import type { Job, ValidationError, WorkspaceFile } from "@esphome-forge/shared";
import { ForgeError, toForgeError, type ForgeDataSource, type ForgeState } from "../data/types.js";
import type { SaveConflict } from "../data/workspace-api.js";
import {
  CODE_EDITOR_TAG,
  defineFallbackEditor,
  type CodeEditorElement,
  type EditorMarker,
} from "../editor/code-editor.js";
import { emitAction } from "./events.js";
import { baseStyles } from "./styles.js";
import "./config-history.js";
import "./diff-view.js";

const TERMINAL = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

export class ForgeConfigEditor extends LitElement {
  static override properties = {
    source: { attribute: false },
    state: { attribute: false },
    deviceId: { attribute: false },
    file: { state: true },
    text: { state: true },
    pane: { state: true },
    saving: { state: true },
    message: { state: true },
    problem: { state: true },
    conflict: { state: true },
    validating: { state: true },
  };
  declare source: ForgeDataSource | null;
  declare state: ForgeState | null;
  declare deviceId: string;
  declare file: WorkspaceFile | null;
  declare text: string;
  declare pane: "edit" | "history";
  declare saving: boolean;
  declare message: string | null;
  declare problem: string | null;
  declare conflict: SaveConflict | null;
  /** The validate jobs queued by the last save. */
  declare validating: number[];
  private loadedFor = "";

  constructor() {
    super();
    defineFallbackEditor();
    this.source = null;
    this.state = null;
    this.deviceId = "";
    this.file = null;
    this.text = "";
    this.pane = "edit";
    this.saving = false;
    this.message = null;
    this.problem = null;
    this.conflict = null;
    this.validating = [];
    this.addEventListener("keydown", (e) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s") {
        e.preventDefault();
        void this.save();
      }
    });
    this.addEventListener("forge-config-restored", () => void this.load(true));
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: block;
        border-top: 1px solid var(--forge-divider);
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
        font-weight: 500;
      }
      .status {
        padding: 4px 12px 8px;
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
        align-items: center;
      }
      .errors {
        list-style: none;
        margin: 0;
        padding: 0 12px 8px;
      }
      .errors li {
        padding: 2px 0;
      }
      .errors button {
        all: unset;
        cursor: pointer;
        color: var(--forge-bad);
        text-decoration: underline;
      }
      .editor {
        border-top: 1px solid var(--forge-divider);
        border-bottom: 1px solid var(--forge-divider);
      }
      .conflict {
        margin: 8px 12px;
        border: 1px solid var(--forge-bad);
        border-radius: 8px;
        overflow: hidden;
      }
      .conflict p {
        margin: 8px 12px;
      }
    `,
  ];

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("deviceId") || changed.has("source")) {
      const key = this.deviceId;
      if (this.source?.workspace && key && key !== this.loadedFor) void this.load(false);
    }
  }

  private get device() {
    return this.state?.devices.get(this.deviceId);
  }

  private get dirty(): boolean {
    return this.file !== null && this.text !== this.file.content;
  }

  private async load(keepMessage: boolean): Promise<void> {
    this.loadedFor = this.deviceId;
    try {
      const file = await this.source!.workspace!.read(this.deviceId);
      this.file = file;
      this.text = file.content;
      this.conflict = null;
      this.problem = null;
      if (!keepMessage) {
        this.message = null;
        this.validating = [];
      }
    } catch (err) {
      this.problem = toForgeError(err).message;
    }
  }

  async save(): Promise<void> {
    const file = this.file;
    if (!file || this.saving || !this.source?.workspace) return;
    const editor = this.renderRoot.querySelector<CodeEditorElement>(CODE_EDITOR_TAG);
    const text = editor?.value ?? this.text;
    this.text = text;
    this.saving = true;
    this.problem = null;
    try {
      const r = await this.source.workspace.save(this.deviceId, text, file.sha256, file.path);
      this.file = { ...file, content: text, sha256: r.sha256 };
      this.conflict = null;
      this.validating = r.validation.map((v) => v.jobId);
      this.message = r.commit ? `Saved as ${r.commit.slice(0, 7)}.` : "Saved (nothing changed).";
      this.renderRoot.querySelector<HTMLElement & { reload(): void }>("forge-config-history")?.reload();
    } catch (err) {
      const e = toForgeError(err);
      if (e instanceof ForgeError && e.code === "conflict")
        this.conflict = (e.details as SaveConflict) ?? { currentSha256: null, diff: null };
      this.problem = e.message;
    } finally {
      this.saving = false;
    }
  }

  /** Keeps my text and saves it over the version now on disk. */
  private async overwrite(): Promise<void> {
    if (!this.file || !this.conflict?.currentSha256) return;
    this.file = { ...this.file, sha256: this.conflict.currentSha256 };
    await this.save();
  }

  /** The validate jobs of the last save, or the device's last validation when there were none. */
  private validation(): { state: "running" | "valid" | "invalid" | "none"; errors: ValidationError[]; job?: Job } {
    const jobs = this.validating.map((id) => this.state?.jobs.get(id)).filter((j): j is Job => j != null);
    if (this.validating.length) {
      if (jobs.length < this.validating.length || jobs.some((j) => !TERMINAL.has(j.state)))
        return { state: "running", errors: [] };
      const errors = jobs.flatMap((j) => j.validationErrors);
      const failed = jobs.find((j) => j.state !== "succeeded");
      if (failed && errors.length === 0)
        errors.push({ file: null, line: null, message: failed.error ?? `validation ${failed.state}` });
      return { state: errors.length ? "invalid" : "valid", errors, job: jobs[0] };
    }
    const v = this.device?.validation;
    if (v?.current && v.errors.length) return { state: "invalid", errors: v.errors };
    return { state: "none", errors: [] };
  }

  private markers(errors: ValidationError[]): EditorMarker[] {
    const path = this.file?.path;
    return errors
      .filter((e) => e.line != null && (e.file == null || e.file === path))
      .map((e) => ({ line: e.line!, message: e.message }));
  }

  private reveal(line: number): void {
    this.renderRoot.querySelector<CodeEditorElement>(CODE_EDITOR_TAG)?.revealLine(line);
  }

  override render() {
    const d = this.device;
    const name = d?.friendlyName || d?.name || this.deviceId;
    const v = this.validation();
    const markers = this.markers(v.errors);
    return html`
      <header>
        <span class="title">Config of ${name} <span class="muted mono">${this.file?.path ?? ""}</span>${this.dirty ? html` <span class="chip tone-warn">unsaved</span>` : nothing}</span>
        <button class="btn" role="tab" aria-selected=${this.pane === "edit" ? "true" : "false"} @click=${() => (this.pane = "edit")}>Edit</button>
        <button class="btn" role="tab" aria-selected=${this.pane === "history" ? "true" : "false"} @click=${() => (this.pane = "history")}>History</button>
        <button class="btn primary" ?disabled=${!this.file || this.saving} @click=${() => this.save()} title="Save (Ctrl+S)">${this.saving ? "Saving…" : "Save"}</button>
        <button class="btn" aria-label="Close the editor" @click=${() => this.dispatchEvent(new CustomEvent("forge-editor-close", { bubbles: true, composed: true }))}>Close</button>
      </header>
      ${this.problem ? html`<div class="status"><span class="error-text" role="alert">${this.problem}</span></div>` : nothing}
      ${this.conflict ? this.renderConflict() : nothing}
      ${this.pane === "edit" ? this.renderEdit(v, markers) : html`<forge-config-history .source=${this.source} .deviceId=${this.deviceId}></forge-config-history>`}
    `;
  }

  private renderEdit(v: ReturnType<ForgeConfigEditor["validation"]>, markers: EditorMarker[]) {
    const d = this.device;
    const h = d?.configHistory;
    return html`
      <div class="status" aria-live="polite">
        ${this.message ? html`<span>${this.message}</span>` : nothing}
        ${v.state === "running" ? html`<span class="chip tone-info">validating…</span>` : nothing}
        ${
          v.state === "valid"
            ? html`<span class="chip tone-ok">valid</span>
              <button class="btn" @click=${() => emitAction(this, { action: "compile", deviceIds: [this.deviceId] })}>Compile</button>
              <button class="btn" @click=${() => emitAction(this, { action: "compile_upload", deviceIds: [this.deviceId] })}>Install</button>`
            : nothing
        }
        ${v.state === "invalid" ? html`<span class="chip tone-bad">${v.errors.length} error${v.errors.length === 1 ? "" : "s"}</span>` : nothing}
        ${h?.builtFrom ? html`<span class="muted">built from <code class="mono">${h.builtFrom.slice(0, 7)}</code>${h.changesSince ? `, ${h.changesSince} change${h.changesSince === 1 ? "" : "s"} since` : ", no changes since"}</span>` : nothing}
      </div>
      ${
        v.errors.length
          ? html`<ul class="errors" aria-label="Validation errors">${v.errors.map(
              (e) =>
                html`<li class="error-text">${
                  e.line != null && (e.file == null || e.file === this.file?.path)
                    ? html`<button @click=${() => this.reveal(e.line!)}>line ${e.line}</button>: `
                    : e.file
                      ? html`<span class="mono">${e.file}${e.line != null ? `:${e.line}` : ""}</span>: `
                      : nothing
                }${e.message}</li>`,
            )}</ul>`
          : nothing
      }
      <div class="editor">
        ${
          this.file
            ? html`<forge-code-editor .value=${this.file.content} .markers=${markers}
              @value-changed=${(e: CustomEvent<{ value: string }>) => (this.text = e.detail.value)}></forge-code-editor>`
            : html`<p class="muted status">Loading…</p>`
        }
      </div>
    `;
  }

  private renderConflict() {
    const c = this.conflict!;
    return html`<section class="conflict" aria-label="Save conflict">
      <p>Someone changed this file since you opened it. Nothing was saved. What differs (the file now → yours):</p>
      ${c.diff != null ? html`<forge-diff-view .diff=${c.diff} .label=${"Your changes against the file now"}></forge-diff-view>` : nothing}
      <p>
        <button class="btn" @click=${() => this.load(false)}>Load the current version (drop mine)</button>
        <button class="btn danger" ?disabled=${!c.currentSha256} @click=${() => this.overwrite()}>Save mine over it</button>
      </p>
    </section>`;
  }
}

if (!customElements.get("forge-config-editor")) customElements.define("forge-config-editor", ForgeConfigEditor);
