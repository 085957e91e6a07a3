// Defines the card's public elements (the card and its editor) so Home Assistant finds them
// whatever order the browser runs the modules in.
//
// The integration loads the bundle as an "extra module": HA's page imports it next to its own app
// bundle, and either may run first. While it boots, HA's app bundle installs a scoped custom-element
// registry polyfill, which puts a NEW registry object at `window.customElements`; from then on
// `customElements.get()` and `whenDefined()` answer only for names defined through that object.
// A bundle that ran earlier defined its elements in the browser's own registry: they still
// construct fine, but HA's Lovelace asks the new registry, finds nothing, waits in vain, and after
// 2 s shows "Configuration error". So the names are defined again in whatever registry is current
// once HA's app has booted (its own root element `home-assistant` is defined only after the
// polyfill is in place). Lovelace waits on `whenDefined` for a custom card it did not find and
// rebuilds the card (`ll-rebuild`) when that resolves, so a card rendered too early heals itself.

const defined = new Map<string, CustomElementConstructor>();
let watching = false;

function current(): CustomElementRegistry {
  return window.customElements;
}

/** Defines `tag` unless the current registry already has it (a second copy of the bundle). */
function defineIn(registry: CustomElementRegistry, tag: string, cls: CustomElementConstructor): void {
  if (registry.get(tag)) return;
  try {
    registry.define(tag, cls);
  } catch (err) {
    // Another copy of the bundle won the race for this registry: its definition serves as well.
    if (!registry.get(tag)) throw err;
  }
}

/** Defines the names again in the registry now in place, if it is not the one they went into. */
export function followRegistry(): void {
  const registry = current();
  for (const [tag, cls] of defined) defineIn(registry, tag, cls);
}

/**
 * Defines a public element (one Home Assistant looks up by name) and keeps it defined in the
 * registry HA uses, even if HA swaps that registry after this module ran.
 */
export function definePublicElement(tag: string, cls: CustomElementConstructor): void {
  defined.set(tag, cls);
  const boot = current();
  defineIn(boot, tag, cls);
  if (watching) return;
  watching = true;
  // Resolves once HA's app defined its root element, i.e. after any registry swap; at once when
  // this module runs late. Outside HA (tests, other hosts) it never resolves, which is harmless.
  void boot.whenDefined("home-assistant").then(followRegistry);
  // A second chance for hosts that boot differently: after the page's load event.
  if (document.readyState === "complete") queueMicrotask(followRegistry);
  else window.addEventListener("load", followRegistry, { once: true });
}
