// A modal yes/no question (native <dialog>: focus moves in, Escape cancels, focus returns after).
import { LitElement, html, css } from "lit";
import { baseStyles } from "./styles.js";

export class ForgeConfirmDialog extends LitElement {
  static override properties = { heading: { state: true }, message: { state: true }, confirmLabel: { state: true } };
  declare heading: string;
  declare message: string;
  declare confirmLabel: string;
  private resolve: ((ok: boolean) => void) | null = null;

  constructor() {
    super();
    this.heading = "";
    this.message = "";
    this.confirmLabel = "OK";
  }

  static override styles = [
    baseStyles,
    css`
      dialog {
        border: 0;
        border-radius: 12px;
        padding: 20px;
        max-width: min(440px, 90vw);
        background: var(--forge-surface);
        color: var(--primary-text-color, #212121);
        box-shadow: 0 10px 40px rgba(0, 0, 0, 0.3);
      }
      dialog::backdrop {
        background: rgba(0, 0, 0, 0.4);
      }
      h2 {
        margin: 0 0 8px;
        font-size: 1.15em;
      }
      .buttons {
        display: flex;
        justify-content: flex-end;
        gap: 8px;
        margin-top: 16px;
      }
    `,
  ];

  /** Shows the question; resolves true when confirmed. */
  async ask(heading: string, message: string, confirmLabel = "OK"): Promise<boolean> {
    this.resolve?.(false);
    this.heading = heading;
    this.message = message;
    this.confirmLabel = confirmLabel;
    await this.updateComplete;
    const dialog = this.renderRoot.querySelector("dialog")!;
    if (!dialog.open) dialog.showModal();
    this.renderRoot.querySelector<HTMLButtonElement>("button.cancel")?.focus();
    return new Promise<boolean>((resolve) => (this.resolve = resolve));
  }

  private finish(ok: boolean): void {
    const dialog = this.renderRoot.querySelector("dialog");
    if (dialog?.open) dialog.close();
    const r = this.resolve;
    this.resolve = null;
    r?.(ok);
  }

  override render() {
    return html`<dialog role="alertdialog" aria-labelledby="h" aria-describedby="m" @cancel=${() => this.finish(false)}>
      <h2 id="h">${this.heading}</h2>
      <div id="m">${this.message}</div>
      <div class="buttons">
        <button class="btn cancel" @click=${() => this.finish(false)}>Cancel</button>
        <button class="btn primary confirm" @click=${() => this.finish(true)}>${this.confirmLabel}</button>
      </div>
    </dialog>`;
  }
}

if (!customElements.get("forge-confirm-dialog")) customElements.define("forge-confirm-dialog", ForgeConfirmDialog);
