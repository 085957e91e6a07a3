// The standalone dashboard: a token login (kept in session storage), then the same views as the
// card, fed by the sidecar's own API. Served by the sidecar at `/` for users without HA, and in
// Home Assistant's sidebar through ingress, where HA has signed the user in: the page asks the
// sidecar (GET api/v1/session) before showing a login, and needs no token there. Every URL is
// relative to the page, so it works under the ingress prefix.
import { LitElement, html, css, nothing } from "lit";
import { DirectSource } from "../data/direct-source.js";
import type { SessionResponse } from "@esphome-forge/shared";
import { toForgeError, type Unsubscribe } from "../data/types.js";
import "../views/forge-dashboard.js";
import { baseStyles } from "../views/styles.js";
import { applyTheme, themeStore, tokenStore, type ThemeChoice } from "./token-store.js";

const THEME_NEXT: Record<ThemeChoice, ThemeChoice> = { auto: "light", light: "dark", dark: "auto" };

export class ForgePage extends LitElement {
  static override properties = {
    source: { state: true },
    problem: { state: true },
    checking: { state: true },
    theme: { state: true },
    haUser: { state: true },
    probing: { state: true },
  };
  declare source: DirectSource | null;
  declare problem: string | null;
  declare checking: boolean;
  declare theme: ThemeChoice;
  /** Set under Home Assistant's ingress: who HA signed in (no token, no sign-out). */
  declare haUser: NonNullable<SessionResponse["user"]> | null;
  /** Asking the sidecar whether this is an ingress session (before the login form shows). */
  declare probing: boolean;
  private watch: Unsubscribe | null = null;
  private readonly media = window.matchMedia("(prefers-color-scheme: dark)");

  constructor() {
    super();
    this.source = null;
    this.problem = null;
    this.checking = false;
    this.theme = themeStore.get();
    this.haUser = null;
    this.probing = false;
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: block;
        max-width: 1400px;
        margin: 0 auto;
        padding: 12px;
        box-sizing: border-box;
      }
      header {
        display: flex;
        align-items: center;
        gap: 8px;
        margin-bottom: 12px;
        flex-wrap: wrap;
      }
      h1 {
        font-size: 1.25em;
        margin: 0;
        flex: 1;
      }
      .card {
        background: var(--card-background-color);
        border: 1px solid var(--ha-card-border-color, var(--divider-color));
        border-radius: var(--ha-card-border-radius, 12px);
        overflow: hidden;
      }
      form {
        max-width: 420px;
        margin: 10vh auto 0;
        padding: 24px;
        display: grid;
        gap: 12px;
      }
      form h1 {
        flex: none;
      }
      form input {
        width: 100%;
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    this.media.addEventListener("change", this.onMedia);
    applyTheme(this.theme, this.media.matches);
    const saved = tokenStore.get();
    if (saved) this.use(saved);
    else void this.checkSession();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.media.removeEventListener("change", this.onMedia);
    this.watch?.();
  }

  private readonly onMedia = () => applyTheme(this.theme, this.media.matches);

  private get base(): string {
    return new URL(".", location.href).href;
  }

  private makeSource(token: string | null): DirectSource {
    return new DirectSource({ baseUrl: this.base, token, source: this.haUser ? "ha-ingress" : "dashboard" });
  }

  /** Under ingress the sidecar already knows the user: no login form. */
  private async checkSession(): Promise<void> {
    this.probing = true;
    try {
      const res = await fetch(new URL("api/v1/session", this.base), { cache: "no-store" });
      const session = res.ok ? ((await res.json()) as SessionResponse) : null;
      if (session?.via === "ingress" && session.user) {
        this.haUser = session.user;
        this.use(null);
      }
    } catch {
      // An older sidecar or a network problem: the token login still works.
    } finally {
      this.probing = false;
    }
  }

  private use(token: string | null): void {
    const source = this.makeSource(token);
    this.watch?.();
    // Leave for the login form when the sidecar stops accepting the token.
    this.watch = source.subscribe((s) => {
      if (s.status === "unauthorized") this.signOut(s.error ?? "The sidecar no longer accepts this token.");
    });
    this.source = source;
  }

  private async onLogin(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const input = this.renderRoot.querySelector<HTMLInputElement>("#token")!;
    const token = input.value.trim();
    if (!token) {
      this.problem = "Enter the sidecar's admin token.";
      return;
    }
    this.checking = true;
    this.problem = null;
    try {
      await this.makeSource(token).verify();
      tokenStore.set(token);
      this.use(token);
    } catch (err) {
      const fe = toForgeError(err);
      this.problem = fe.status === 401 ? "The sidecar refused this token." : fe.message;
    } finally {
      this.checking = false;
    }
  }

  private signOut(reason: string | null = null): void {
    if (this.haUser) {
      // Nothing to sign out of under ingress: say what went wrong and keep the page.
      this.problem = reason;
      return;
    }
    tokenStore.clear();
    this.watch?.();
    this.watch = null;
    this.source = null;
    this.problem = reason;
  }

  private cycleTheme(): void {
    this.theme = THEME_NEXT[this.theme];
    themeStore.set(this.theme);
    applyTheme(this.theme, this.media.matches);
  }

  override render() {
    if (!this.source && this.probing) return html`<p class="muted" role="status">Connecting…</p>`;
    if (!this.source) {
      return html`<form class="card" @submit=${this.onLogin} aria-labelledby="login-title">
        <h1 id="login-title">Forge for ESPHome</h1>
        <label for="token">Admin token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required aria-describedby="token-hint" />
        <span id="token-hint" class="muted">Printed by the sidecar when it creates it; kept in <code>admin-token</code> in its data folder. Kept only for this browser tab.</span>
        ${this.problem ? html`<div class="error-text" role="alert">${this.problem}</div>` : nothing}
        <button class="btn primary" type="submit" ?disabled=${this.checking}>${this.checking ? "Checking…" : "Sign in"}</button>
      </form>`;
    }
    return html`
      <header>
        <h1>Forge for ESPHome</h1>
        <button class="btn" @click=${this.cycleTheme} aria-label=${`Theme: ${this.theme}. Change theme`}>Theme: ${this.theme}</button>
        ${
          this.haUser
            ? html`<span class="muted">Signed in through Home Assistant as ${this.haUser.displayName ?? this.haUser.name ?? "a user"}</span>`
            : html`<button class="btn" @click=${() => this.signOut()}>Sign out</button>`
        }
      </header>
      ${this.haUser && this.problem ? html`<div class="error-text" role="alert">${this.problem}</div>` : nothing}
      <main class="card">
        <forge-dashboard .source=${this.source}></forge-dashboard>
      </main>
    `;
  }
}

if (!customElements.get("forge-page")) customElements.define("forge-page", ForgePage);
