// The card's visual editor: Home Assistant's own `ha-form` with selectors (views and columns as
// checkbox lists, tags picked from the fleet's or typed, the sidecar's config entry). Every change
// sends `config-changed` with the whole new config, as Lovelace expects. HA loads `ha-form` lazily,
// so the editor asks for it first; without it (not inside HA) it points to the code editor.
import { LitElement, html, css, nothing } from "lit";
import { HaSource } from "../data/ha-source.js";
import type { Unsubscribe } from "../data/types.js";
import { allTags } from "../views/device-model.js";
import { baseStyles } from "../views/styles.js";
import { CARD_TYPE, validateConfig, type ForgeCardConfig } from "./config.js";
import { configFromForm, FORM_HELPERS, FORM_LABELS, formData, formSchema, type FormData } from "./config-form.js";
import { definePublicElement } from "./define.js";
import { loadHaElements } from "./ha-elements.js";
import type { HomeAssistantLike } from "./ha-types.js";

type FormState = "loading" | "ready" | "missing";

export class ForgeCardEditor extends LitElement {
  static override properties = {
    hass: { attribute: false },
    config: { state: true },
    problem: { state: true },
    form: { state: true },
    knownTags: { state: true },
  };
  declare hass: HomeAssistantLike | null;
  declare config: ForgeCardConfig | null;
  declare problem: string | null;
  declare form: FormState;
  declare knownTags: readonly string[];
  private tagsWatch: Unsubscribe | null = null;
  private schemaFor: { tags: readonly string[]; schema: ReturnType<typeof formSchema> } | null = null;

  constructor() {
    super();
    this.hass = null;
    this.config = null;
    this.problem = null;
    this.form = customElements.get("ha-form") ? "ready" : "loading";
    this.knownTags = [];
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: block;
      }
      .problem {
        margin: 0 0 12px;
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.form !== "ready")
      void loadHaElements(["ha-form"]).then(() => (this.form = customElements.get("ha-form") ? "ready" : "missing"));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.tagsWatch?.();
    this.tagsWatch = null;
  }

  setConfig(config: ForgeCardConfig): void {
    this.config = { ...config };
    this.problem = this.check(config);
  }

  private check(config: ForgeCardConfig): string | null {
    try {
      validateConfig(config);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }

  protected override willUpdate(): void {
    if (this.hass && !this.tagsWatch && this.knownTags.length === 0) this.watchTags(this.hass);
  }

  /** The fleet's tags for the tags picker: one snapshot through HA, then unsubscribe. */
  private watchTags(hass: HomeAssistantLike): void {
    const source = new HaSource(hass.connection, this.config?.entry_id ?? null, false);
    let done = false;
    const stop = source.subscribe((s) => {
      if (!s.loaded || done) return;
      done = true;
      this.knownTags = allTags(s.devices.values());
      queueMicrotask(() => stop());
    });
    this.tagsWatch = () => {
      done = true;
      stop();
    };
  }

  private schema() {
    if (this.schemaFor?.tags !== this.knownTags)
      this.schemaFor = { tags: this.knownTags, schema: formSchema(this.knownTags) };
    return this.schemaFor.schema;
  }

  private onChange(e: CustomEvent<{ value: Partial<FormData> }>): void {
    e.stopPropagation();
    if (!this.config) return;
    const out = configFromForm(this.config, e.detail.value);
    if (!out.config) {
      this.problem = out.problem;
      this.requestUpdate(); // the form keeps showing the previous (valid) choice
      return;
    }
    // A config HA would refuse (a tag with capitals, say) is still sent: the preview shows the
    // error card and the message shows here.
    this.problem = this.check(out.config);
    this.config = out.config;
    this.dispatchEvent(
      new CustomEvent("config-changed", { detail: { config: out.config }, bubbles: true, composed: true }),
    );
  }

  override render() {
    if (!this.config) return nothing;
    const problem = this.problem ? html`<p class="problem error-text" role="alert">${this.problem}</p>` : nothing;
    if (this.form === "loading") return html`${problem}<p class="muted">Loading the editor…</p>`;
    if (this.form === "missing")
      return html`${problem}<p class="muted">
          The visual editor needs Home Assistant's form elements, which did not load. Edit the card in
          the code editor; the options are described in the card's README.
        </p>`;
    return html`${problem}
      <ha-form
        .hass=${this.hass}
        .data=${formData(this.config)}
        .schema=${this.schema()}
        .computeLabel=${(s: { name: keyof FormData }) => FORM_LABELS[s.name] ?? s.name}
        .computeHelper=${(s: { name: keyof FormData }) => FORM_HELPERS[s.name] ?? ""}
        @value-changed=${this.onChange}
      ></ha-form>`;
  }
}

definePublicElement(`${CARD_TYPE}-editor`, ForgeCardEditor);
