// "New device": a node name, a friendly name and a template (ESP32, ESP8266, RP2040, BK72xx); the
// sidecar writes the YAML with `!secret` references to the keys secrets.yaml has and commits it.
import { LitElement, html, css, nothing } from "lit";
import { toForgeError, type ForgeDataSource } from "../data/types.js";
import type { DeviceTemplate, TemplateChoice } from "../data/workspace-api.js";
import { baseStyles } from "./styles.js";

const NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export class ForgeNewDeviceDialog extends LitElement {
  static override properties = {
    source: { attribute: false },
    templates: { state: true },
    problem: { state: true },
    warnings: { state: true },
    busy: { state: true },
  };
  declare source: ForgeDataSource | null;
  declare templates: TemplateChoice[];
  declare problem: string | null;
  declare warnings: string[];
  declare busy: boolean;

  constructor() {
    super();
    this.source = null;
    this.templates = [];
    this.problem = null;
    this.warnings = [];
    this.busy = false;
  }

  static override styles = [
    baseStyles,
    css`
      dialog {
        border: 1px solid var(--forge-divider);
        border-radius: 12px;
        background: var(--forge-surface);
        color: var(--primary-text-color);
        padding: 16px;
        min-width: min(420px, 90vw);
      }
      label {
        display: grid;
        gap: 4px;
        margin-bottom: 10px;
        font-size: 0.9em;
      }
      input,
      select {
        font: inherit;
        padding: 6px 8px;
        border: 1px solid var(--forge-divider);
        border-radius: 6px;
        background: transparent;
        color: inherit;
      }
      .row {
        display: flex;
        gap: 8px;
        justify-content: flex-end;
      }
      h2 {
        margin: 0 0 12px;
        font-size: 1.1em;
      }
    `,
  ];

  async open(): Promise<void> {
    this.problem = null;
    this.warnings = [];
    await this.updateComplete;
    this.renderRoot.querySelector("dialog")!.showModal();
    try {
      this.templates = (await this.source!.workspace!.templates()).templates;
    } catch (err) {
      this.problem = toForgeError(err).message;
    }
  }

  private close(): void {
    this.renderRoot.querySelector("dialog")?.close();
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    const name = String(data.get("name") ?? "").trim();
    if (!NAME.test(name)) {
      this.problem = "The name is the device's hostname: lowercase letters, digits and '-'.";
      return;
    }
    const friendly = String(data.get("friendly") ?? "").trim();
    const board = String(data.get("board") ?? "").trim();
    this.busy = true;
    try {
      const r = await this.source!.workspace!.create({
        name,
        template: String(data.get("template")) as DeviceTemplate,
        ...(friendly ? { friendlyName: friendly } : {}),
        ...(board ? { board } : {}),
      });
      this.warnings = r.warnings;
      form.reset();
      this.close();
      this.dispatchEvent(
        new CustomEvent("forge-device-created", {
          detail: { deviceId: name, warnings: r.warnings },
          bubbles: true,
          composed: true,
        }),
      );
    } catch (err) {
      this.problem = toForgeError(err).message;
    } finally {
      this.busy = false;
    }
  }

  override render() {
    return html`<dialog aria-labelledby="new-title">
      <form @submit=${(e: Event) => this.submit(e)}>
        <h2 id="new-title">New device</h2>
        <label>Name (hostname)<input name="name" required autocomplete="off" placeholder="kitchen-sensor" /></label>
        <label>Friendly name<input name="friendly" autocomplete="off" placeholder="Kitchen sensor" /></label>
        <label>Template<select name="template">${this.templates.map((t) => html`<option value=${t.id}>${t.label} (${t.board})</option>`)}</select></label>
        <label>Board (optional)<input name="board" autocomplete="off" placeholder="the template's board" /></label>
        ${this.problem ? html`<p class="error-text" role="alert">${this.problem}</p>` : nothing}
        <div class="row">
          <button type="button" class="btn" @click=${() => this.close()}>Cancel</button>
          <button type="submit" class="btn primary" ?disabled=${this.busy || this.templates.length === 0}>Create</button>
        </div>
      </form>
    </dialog>`;
  }
}

if (!customElements.get("forge-new-device-dialog"))
  customElements.define("forge-new-device-dialog", ForgeNewDeviceDialog);
