// What the real-HA tests measure on a loaded dashboard, read from the page itself.
import type { Page } from "playwright-core";

export interface CardLook {
  /** The card's width, and the width of the heading card in the same section (sections view). */
  cardWidth: number;
  headingWidth: number | null;
  viewportWidth: number;
  /** How far the card's content overflows it sideways (0: it fits). */
  overflow: number;
  /** Relative luminance (0 black … 1 white) of the card's background and of its text. */
  background: number;
  text: number;
  /** Which of HA's own controls the card uses (see card/src/views/controls.ts). */
  controls: string[];
}

export async function cardLook(page: Page): Promise<CardLook> {
  const card = page.locator("esphome-forge-card").first();
  const heading = page.locator("hui-heading-card").first();
  const headingWidth = (await heading.count()) ? ((await heading.boundingBox())?.width ?? null) : null;
  const look = await card.evaluate((el) => {
    const luminance = (css: string) => {
      const [r, g, b] = (css.match(/[\d.]+/g) ?? ["0", "0", "0"]).slice(0, 3).map((v) => Number(v) / 255);
      const lin = (c: number) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(b!);
    };
    const haCard = el.shadowRoot!.querySelector("ha-card")!;
    const dashboard = haCard.querySelector("forge-dashboard")!;
    const devices = dashboard.shadowRoot!.querySelector("forge-devices-view");
    const controls = ["ha-textfield", "ha-select", "ha-checkbox"].filter(
      (tag) => !!devices?.shadowRoot?.querySelector(tag),
    );
    return {
      cardWidth: el.getBoundingClientRect().width,
      viewportWidth: window.innerWidth,
      overflow: Math.max(0, haCard.scrollWidth - haCard.clientWidth),
      background: luminance(getComputedStyle(haCard).backgroundColor),
      text: luminance(getComputedStyle(dashboard).color),
      controls,
    };
  });
  return { ...look, headingWidth };
}

/** The action buttons of a device row, by visible label, with whether each is enabled and why not. */
export async function rowButtons(
  page: Page,
  device: string,
): Promise<Record<string, { enabled: boolean; title: string }>> {
  const row = page.locator("esphome-forge-card forge-device-row").filter({ hasText: device }).first();
  return row
    .locator(".actions button")
    .evaluateAll((buttons) =>
      Object.fromEntries(
        buttons.map((b) => [
          (b.textContent ?? "").trim(),
          { enabled: !(b as HTMLButtonElement).disabled, title: b.getAttribute("title") ?? "" },
        ]),
      ),
    );
}
