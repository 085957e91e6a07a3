// Home Assistant defines its form elements (ha-textfield, ha-select, ha-form, …) lazily, the first
// time one of its own views needs them. Building the config editor of one of HA's built-in cards
// makes it load them (the way well-kept custom cards do it); then wait for the names, briefly.
interface CardHelpers {
  createCardElement(config: Record<string, unknown>): HTMLElement;
}

declare global {
  interface Window {
    loadCardHelpers?: () => Promise<CardHelpers>;
  }
}

let asked: Promise<void> | null = null;

function askHaToLoad(): Promise<void> {
  asked ??= (async () => {
    try {
      const helpers = await window.loadCardHelpers?.();
      const card = helpers?.createCardElement({ type: "entities", entities: [] });
      const Card = card?.constructor as { getConfigElement?: () => Promise<unknown> } | undefined;
      await Card?.getConfigElement?.();
    } catch {
      // Not inside HA, or another frontend version: the plain controls stay.
    }
  })();
  return asked;
}

/** Resolves once every tag is defined, or after `timeoutMs`; never rejects. */
export async function loadHaElements(tags: readonly string[], timeoutMs = 10_000): Promise<void> {
  const missing = () => tags.filter((t) => !customElements.get(t));
  if (missing().length === 0) return;
  void askHaToLoad();
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all(missing().map((t) => customElements.whenDefined(t))),
    new Promise<void>((r) => (timer = setTimeout(r, timeoutMs))),
  ]);
  clearTimeout(timer);
}
