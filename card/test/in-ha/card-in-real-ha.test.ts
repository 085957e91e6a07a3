// The Lovelace card in a REAL Home Assistant (the HA venv's `homeassistant` with its pinned
// frontend) in Chromium, against a REAL sidecar: our integration set up through its config flow,
// the card registered the way users get it (the integration's extra module URL), a storage-mode
// dashboard with the card in a sections, a masonry and a panel view. HA starts once for the file;
// every dashboard load is a fresh browser context (empty cache, like a new visitor).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../support/chromium.ts";
import { HA_DOCS_SCREENSHOTS, SCREENSHOT_DIR } from "../support/paths.ts";
import { cardLook, rowButtons } from "../support/real-ha/card-checks.ts";
import { DASHBOARD, LOVELACE, startForgeHome, type ForgeHome } from "../support/real-ha/forge-home.ts";
import { cardOutcome, logIn, newVisit, type StorageState, type Visit } from "../support/real-ha/ha-browser.ts";
import { createUser, OWNER, waitFor } from "../support/real-ha/ha-process.ts";
import { publishScreenshots } from "../support/screenshots.ts";

const GUEST = { name: "Guest", username: "guest", password: "forge-guest-pass-1", admin: false } as const;
const LOADS = 30;
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

let home: ForgeHome;
let browser: Browser;
let owner: StorageState;
let guest: StorageState;
let failed = false;
const url = (view: string) => `${home.ha.url}/${DASHBOARD}/${view}`;
const row = (v: Visit, name: string) => v.page.locator("esphome-forge-card forge-device-row").filter({ hasText: name });

beforeAll(async () => {
  home = await startForgeHome();
  browser = await launchChromium();
  await createUser(home.ha, GUEST);
  owner = await logIn(browser, home.ha, OWNER);
  guest = await logIn(browser, home.ha, GUEST);
  // Some history for the pictures: two devices built (through HA's own command, like the card).
  const ws = await home.ha.socket();
  try {
    await ws.call({ type: "esphome_forge/compile", device_ids: ["garage-door", "office-climate"], upload: false });
  } finally {
    ws.close();
  }
  await waitFor(async () => {
    const jobs = await home.sidecarApi<{ jobs: { state: string }[] }>("GET", "/jobs?state=succeeded");
    return jobs.jobs.length >= 2;
  }, "the first two builds");
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
}, 240_000);

afterEach((ctx) => {
  if (ctx.task.result?.state === "fail") {
    failed = true;
    console.error(home?.ha.output().slice(-4000));
  }
});

afterAll(async () => {
  await browser?.close();
  await home?.stop();
  publishScreenshots(HA_DOCS_SCREENSHOTS, failed);
});

/** Opens a view in a fresh context and waits for the card (or HA's error card) to settle. */
async function open(view: string, options: Parameters<typeof newVisit>[1] = {}) {
  const visit = await newVisit(browser, { storageState: owner, viewport: DESKTOP, ...options });
  await visit.page.goto(url(view));
  return { visit, outcome: await cardOutcome(visit.page) };
}

describe("the card in a real Home Assistant", () => {
  it(`appears on every one of ${LOADS} fresh loads: light, dark and phone; sections, masonry and panel views`, async () => {
    const variants = [
      { name: "light", options: { colorScheme: "light" as const } },
      { name: "dark", options: { colorScheme: "dark" as const } },
      { name: "phone", options: { colorScheme: "dark" as const, ...PHONE } },
    ];
    const views = ["builds", "masonry", "panel"];
    const misses: string[] = [];
    for (let i = 0; i < LOADS; i++) {
      const variant = variants[i % variants.length]!;
      const view = views[Math.floor(i / variants.length) % views.length]!;
      const { visit, outcome } = await open(view, variant.options);
      try {
        if (outcome !== "card") {
          misses.push(`load ${i + 1} (${variant.name}, ${view}): ${outcome}`);
          continue;
        }
        // HA's own controls inside HA (the card asks HA to load them; they are there at once or soon).
        await expect
          .poll(async () => (await cardLook(visit.page)).controls)
          .toEqual(["ha-textfield", "ha-select", "ha-checkbox"]);
        const look = await cardLook(visit.page);
        expect(look.overflow, `${variant.name} ${view}: content wider than the card`).toBe(0);
        if (variant.name === "light") expect(look.background).toBeGreaterThan(0.8);
        else
          expect({ background: look.background < 0.1, text: look.text > 0.5 }).toEqual({
            background: true,
            text: true,
          });
        if (view === "builds" && variant.name !== "phone")
          expect(look.cardWidth, "the full width of its section").toBeCloseTo(look.headingWidth!, 0);
        if (view === "panel")
          expect(look.cardWidth).toBeGreaterThan(look.viewportWidth * (variant.name === "phone" ? 0.9 : 0.7));
        expect(look.cardWidth).toBeLessThanOrEqual(look.viewportWidth);
        const shot = { builds: "sections", masonry: "masonry", panel: "panel" }[view];
        if (i < 9) await visit.page.screenshot({ path: join(SCREENSHOT_DIR, `ha-${shot}-${variant.name}.png`) });
        expect(visit.problems).toEqual([]);
      } finally {
        await visit.close();
      }
    }
    expect(misses, `the card failed to appear on ${misses.length} of ${LOADS} loads`).toEqual([]);
  }, 600_000);

  it("says what is unknown in the online column (this Home Assistant has no ESPHome integration)", async () => {
    const { visit } = await open("masonry");
    try {
      const cell = row(visit, "Kitchen plug").locator(".online");
      expect(await cell.textContent()).toBe("no ESPHome in HA");
      expect(await cell.getAttribute("title")).toMatch(/has no ESPHome integration/);
    } finally {
      await visit.close();
    }
  });

  it("filters with HA's own search field, select and checkboxes", async () => {
    const { visit } = await open("panel");
    const { page } = visit;
    try {
      const rows = page.locator("esphome-forge-card forge-device-row");
      await expect.poll(() => rows.count()).toBe(5);
      await page.locator("esphome-forge-card ha-textfield.search input").fill("garage");
      await expect.poll(() => rows.count()).toBe(1);
      await page.locator("esphome-forge-card ha-textfield.search input").fill("");
      await page.locator("esphome-forge-card ha-select").click();
      await page.locator("esphome-forge-card ha-list-item").filter({ hasText: "outdated" }).click();
      await expect
        .poll(() => page.locator("esphome-forge-card ha-select").evaluate((s) => (s as HTMLInputElement).value))
        .toBe("outdated");
      await page.getByRole("checkbox", { name: "Select all shown devices" }).check();
      await expect
        .poll(() => page.getByRole("region", { name: "Bulk actions" }).textContent())
        .toContain(`${await rows.count()} selected`);
    } finally {
      await visit.close();
    }
  });

  it("builds live: compile from the card, progress, success and the log through HA", async () => {
    const { visit } = await open("panel");
    try {
      const plug = row(visit, "Kitchen plug");
      await plug.getByRole("button", { name: "Compile Kitchen plug" }).click();
      await expect.poll(() => plug.locator(".status").textContent(), { timeout: 30_000 }).toMatch(/compile|queued|%/);
      await expect.poll(() => plug.locator(".status").textContent(), { timeout: 60_000 }).toContain("succeeded");
      await plug.getByRole("button", { name: "Open the build log of Kitchen plug" }).click();
      await expect
        .poll(() => visit.page.locator("esphome-forge-card forge-log-panel .content").textContent(), {
          timeout: 20_000,
        })
        .toContain("Successfully compiled program.");
      expect(visit.problems).toEqual([]);
    } finally {
      await visit.close();
    }
  });

  it("offers the card in HA's card picker, and its editor is HA's own form with a live preview", async () => {
    const { visit } = await open("masonry?edit=1");
    const { page } = visit;
    try {
      await page
        .getByRole("button", { name: /add card/i })
        .first()
        .click();
      await page
        .locator("hui-card-picker ha-textfield input, hui-card-picker search-input input")
        .first()
        .fill("Forge");
      const pick = page.locator("hui-card-picker .card").filter({ hasText: "Forge for ESPHome" }).first();
      await pick.locator("esphome-forge-card forge-device-row").first().waitFor(); // the picker's live preview
      // HA's picker takes the pick from a transparent overlay over each card. It is clicked as an element,
      // not at a screen point: under load the dialog still moves and a point hit lands on the page.
      await pick.locator(".overlay").dispatchEvent("click");
      const form = page.locator("esphome-forge-card-editor ha-form");
      await form.waitFor();
      const preview = page.locator("hui-card-preview esphome-forge-card, .element-preview esphome-forge-card").first();
      await expect
        .poll(() => preview.getByRole("tab").allTextContents())
        .toEqual(["Devices", "Queue", "Workers", "Schedules", "Routing"]);
      await page.locator("esphome-forge-card-editor").getByRole("checkbox", { name: "Workers" }).uncheck();
      await expect
        .poll(() => preview.getByRole("tab").allTextContents())
        .toEqual(["Devices", "Queue", "Schedules", "Routing"]);
      await page.getByRole("button", { name: "Save" }).click();
      const ws = await home.ha.socket();
      try {
        const saved = () =>
          ws.call<{ views: { path: string; cards?: { type: string; views?: string[] }[] }[] }>({
            type: "lovelace/config",
            url_path: DASHBOARD,
          });
        await waitFor(async () => ((await saved()).views[1]!.cards ?? []).length === 2, "the new card saved");
        expect((await saved()).views[1]!.cards![1]).toMatchObject({
          type: "custom:esphome-forge-card",
          views: ["devices", "queue", "schedules", "routing"],
        });
        await ws.call({ type: "lovelace/config/save", url_path: DASHBOARD, config: LOVELACE });
      } finally {
        ws.close();
      }
    } finally {
      await visit.close();
    }
  });

  it("shows a user who is not an administrator no action that can only fail", async () => {
    const visit = await newVisit(browser, { storageState: guest, viewport: DESKTOP });
    try {
      await visit.page.goto(url("masonry"));
      expect(await cardOutcome(visit.page)).toBe("card");
      const card = visit.page.locator("esphome-forge-card");
      await expect.poll(() => card.getByRole("note").first().textContent()).toMatch(/View only: .*administrator/);
      expect(Object.keys(await rowButtons(visit.page, "Kitchen plug"))).toEqual(["Log"]);
      expect(await card.getByRole("checkbox").count()).toBe(0);
      expect(await card.locator("forge-trust-status").count()).toBe(0); // an admin-only command
      expect(visit.problems).toEqual([]);
    } finally {
      await visit.close();
    }
  });

  it("says since when the sidecar is unreachable and pauses actions; live again when it is back", async () => {
    const { visit } = await open("masonry");
    const banner = visit.page.locator("esphome-forge-card .banner.notice");
    try {
      await home.restartSidecar({
        down: async () => {
          await expect
            .poll(() => banner.textContent(), { timeout: 60_000 })
            .toMatch(/Forge sidecar unreachable since \d\d:\d\d/);
          const buttons = await rowButtons(visit.page, "Kitchen plug");
          expect(buttons.Compile).toEqual({
            enabled: false,
            title: expect.stringMatching(/cannot reach the Forge sidecar/),
          });
          expect(buttons.Log!.enabled).toBe(true);
          expect(await row(visit, "Kitchen plug").count()).toBe(1); // the last known state stays
        },
      });
      await expect.poll(() => banner.count(), { timeout: 90_000 }).toBe(0);
      expect((await rowButtons(visit.page, "Kitchen plug")).Compile!.enabled).toBe(true);
    } finally {
      await visit.close();
    }
  }, 240_000);
});
