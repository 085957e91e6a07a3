// The signed-OTA pane of a device's config editor (docs/signed-ota.md): what the device enforces now
// (from Forge's last signed flash and its `ota_signed` advertisement), the keys its firmware trusts,
// downgrade protection and the last project version flashed; the YAML block with Forge's key digests
// to copy; and "Apply", which puts the block into the device's file through the config workspace as
// one commit (guarded by the hash of the file the preview was made from), then reloads the editor.
import { LitElement, html, css, nothing, type PropertyValues } from "lit";
import type { Device, DeviceSignedOtaPlan } from "@esphome-forge/shared";
import { toForgeError, type ForgeDataSource } from "../data/types.js";
import { baseStyles } from "./styles.js";

const short = (k: string) => `${k.slice(0, 16)}…`;

export class ForgeSignedOtaPanel extends LitElement {
  static override properties = {
    source: { attribute: false },
    device: { attribute: false },
    plan: { state: true },
    busy: { state: true },
    message: { state: true },
    problem: { state: true },
  };
  declare source: ForgeDataSource | null;
  declare device: Device | null;
  declare plan: DeviceSignedOtaPlan | null;
  declare busy: boolean;
  declare message: string | null;
  declare problem: string | null;
  private loadedFor = "";

  constructor() {
    super();
    this.source = null;
    this.device = null;
    this.plan = null;
    this.busy = false;
    this.message = null;
    this.problem = null;
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: block;
        padding: 8px 12px;
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 4px 12px;
        margin: 0 0 8px;
      }
      dt {
        color: var(--forge-muted, inherit);
      }
      dd {
        margin: 0;
      }
      pre {
        overflow-x: auto;
        padding: 8px;
        border: 1px solid var(--forge-divider);
        border-radius: 6px;
        margin: 8px 0;
      }
    `,
  ];

  protected override willUpdate(changed: PropertyValues<this>): void {
    const id = this.device?.id ?? "";
    if ((changed.has("device") || changed.has("source")) && id && id !== this.loadedFor) void this.load();
  }

  private async load(): Promise<void> {
    this.loadedFor = this.device?.id ?? "";
    this.problem = null;
    try {
      this.plan = await this.source!.workspace!.signedOta(this.loadedFor);
    } catch (err) {
      this.plan = null;
      this.problem = toForgeError(err).message;
    }
  }

  private async apply(): Promise<void> {
    const apply = this.plan?.apply;
    if (!apply || this.busy || !this.device) return;
    this.busy = true;
    this.problem = null;
    try {
      const r = await this.source!.workspace!.applySignedOta(this.device.id, apply.sha256);
      this.message = r.commit ? `Applied as ${r.commit.slice(0, 7)}; validating.` : "Nothing to change.";
      this.dispatchEvent(new CustomEvent("forge-config-restored", { bubbles: true, composed: true }));
      await this.load();
    } catch (err) {
      this.problem = toForgeError(err).message;
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const o = this.device?.otaSigning ?? null;
    const plan = this.plan;
    const yesNo = (v: boolean | null | undefined) => (v == null ? "unknown" : v ? "yes" : "no");
    return html`
      <dl aria-label="Signed OTA on the device">
        <dt>Enforced by the device</dt>
        <dd>${yesNo(o?.otaSigned ?? false)}${o?.advertised != null ? html` <span class="muted">(it advertises ota_signed=${o.advertised})</span>` : nothing}</dd>
        <dt>Config</dt>
        <dd>${o?.configured ? (o.forgeSigns ? "enabled; Forge signs its firmware" : `enabled; Forge does not sign: ${o.reason ?? "?"}`) : "not enabled"}</dd>
        <dt>Keys its firmware trusts</dt>
        <dd class="mono">${o?.trustedKeys?.length ? o.trustedKeys.map(short).join(", ") : "unknown"}</dd>
        ${o?.missingKeys.length ? html`<dt>Not trusted yet</dt><dd class="mono">${o.missingKeys.map(short).join(", ")} (rotation in progress)</dd>` : nothing}
        <dt>Downgrade protection</dt>
        <dd>${yesNo(o?.downgradeProtection ?? false)}</dd>
        <dt>Last project version flashed</dt>
        <dd>${o?.lastProjectVersion ?? "—"}</dd>
      </dl>
      ${this.problem ? html`<p class="error-text" role="alert">${this.problem}</p>` : nothing}
      ${this.message ? html`<p aria-live="polite">${this.message}</p>` : nothing}
      ${
        plan
          ? html`<p>The block with Forge's key${plan.keys.length === 1 ? "" : "s"} (for this device or a shared package):</p>
              <pre class="mono" aria-label="Signed OTA YAML">${plan.yaml}</pre>
              ${plan.apply?.notes.map((n) => html`<p class="muted">${n}</p>`)}
              ${plan.applyError ? html`<p class="muted">Cannot apply it to the file itself: ${plan.applyError}</p>` : nothing}
              <button class="btn primary" ?disabled=${!plan.apply?.changed || this.busy} @click=${() => this.apply()}>
                ${this.busy ? "Applying…" : plan.apply && !plan.apply.changed ? "Already applied" : `Apply to ${plan.apply?.path ?? "the file"}`}
              </button>`
          : nothing
      }
    `;
  }
}

if (!customElements.get("forge-signed-ota-panel")) customElements.define("forge-signed-ota-panel", ForgeSignedOtaPanel);
