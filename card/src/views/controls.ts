// Form controls in the host's own look: inside Home Assistant its elements (`ha-textfield`,
// `ha-select` with `ha-list-item`, `ha-checkbox`), on the standalone page plain ones styled by
// baseStyles. HA loads its elements lazily, so each control falls back to the plain one until its
// element is defined (the card asks HA to load them and re-renders when they are).
import { html, nothing } from "lit";

export interface ControlKit {
  textfield: boolean;
  select: boolean;
  checkbox: boolean;
}

/** The standalone page (and HA before its elements are loaded). */
export const NATIVE_KIT: ControlKit = Object.freeze({ textfield: false, select: false, checkbox: false });

export const HA_CONTROL_TAGS = ["ha-textfield", "ha-select", "ha-list-item", "ha-checkbox"] as const;

/** Which of HA's elements are defined now (in the registry HA uses). */
export function haKit(): ControlKit {
  const has = (tag: string) => customElements.get(tag) !== undefined;
  return {
    textfield: has("ha-textfield"),
    select: has("ha-select") && has("ha-list-item"),
    checkbox: has("ha-checkbox"),
  };
}

export const sameKit = (a: ControlKit, b: ControlKit) =>
  a.textfield === b.textfield && a.select === b.select && a.checkbox === b.checkbox;

const valueOf = (e: Event) => (e.target as HTMLInputElement).value;
const checkedOf = (e: Event) => (e.target as HTMLInputElement).checked;

export function searchBox(kit: ControlKit, o: { label: string; value: string; onInput: (text: string) => void }) {
  return kit.textfield
    ? html`<ha-textfield
        class="search"
        type="search"
        .label=${o.label}
        .value=${o.value}
        @input=${(e: Event) => o.onInput(valueOf(e))}
      ></ha-textfield>`
    : html`<input
        class="search"
        type="search"
        placeholder=${o.label}
        aria-label=${o.label}
        .value=${o.value}
        @input=${(e: Event) => o.onInput(valueOf(e))}
      />`;
}

export function selectBox<T extends string>(
  kit: ControlKit,
  o: { label: string; value: T; options: readonly (readonly [T, string])[]; onChange: (value: T) => void },
) {
  if (!kit.select)
    return html`<select
      aria-label=${o.label}
      .value=${o.value}
      @change=${(e: Event) => o.onChange(valueOf(e) as T)}
    >
      ${o.options.map(([v, text]) => html`<option value=${v} ?selected=${v === o.value}>${text}</option>`)}
    </select>`;
  // `selected` also fires while HA's select lays out its items: act only on a real change.
  // `closed` must not bubble: HA's dialogs (the card editor's preview) close on it.
  return html`<ha-select
    .label=${o.label}
    .value=${o.value}
    fixedMenuPosition
    naturalMenuWidth
    @selected=${(e: Event) => {
      const v = valueOf(e) as T;
      if (v && v !== o.value) o.onChange(v);
    }}
    @closed=${(e: Event) => e.stopPropagation()}
  >
    ${o.options.map(([v, text]) => html`<ha-list-item .value=${v}>${text}</ha-list-item>`)}
  </ha-select>`;
}

export function checkBox(
  kit: ControlKit,
  o: { label: string; checked: boolean; indeterminate?: boolean; disabled?: boolean; onChange: (on: boolean) => void },
) {
  return kit.checkbox
    ? html`<ha-checkbox
        aria-label=${o.label}
        .checked=${o.checked}
        .indeterminate=${o.indeterminate ?? false}
        ?disabled=${o.disabled ?? false}
        @change=${(e: Event) => o.onChange(checkedOf(e))}
      ></ha-checkbox>`
    : html`<input
        type="checkbox"
        aria-label=${o.label}
        .checked=${o.checked}
        .indeterminate=${o.indeterminate ?? false}
        ?disabled=${o.disabled ?? false}
        @change=${(e: Event) => o.onChange(checkedOf(e))}
      />`;
}

/** What the user may do, and why not: `hidden` (may never: not an admin) or `disabled` (not now). */
export type ActionPolicy =
  { mode: "enabled" } | { mode: "disabled"; reason: string } | { mode: "hidden"; reason: string };

export const ACTIONS_ENABLED: ActionPolicy = Object.freeze({ mode: "enabled" });

/** `title` text for a button the policy disables (nothing when it is enabled). */
export const disabledReason = (p: ActionPolicy) => (p.mode === "enabled" ? nothing : p.reason);
