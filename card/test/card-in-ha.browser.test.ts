// The Lovelace card in a real Chromium, inside a page that plays Home Assistant: a faithful fake
// `hass` whose connection answers the integration's commands. Loads the committed bundle. It covers
// what the real HA of these tests cannot show quickly (ESPHome devices for the online state, many
// devices); the card's home in HA is test/in-ha/card-in-real-ha.test.ts (real HA, real frontend,
// real sidecar: loading, themes, phone width, editor, picker, live builds, outages, non-admins).
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./support/chromium.ts";
import { startHarness, type Harness } from "./support/harness.ts";

let browser: Browser;
let harness: Harness;
let page: Page;

const T = "custom:esphome-forge-card";

async function mount(
  config: Record<string, unknown>,
  opts: { devices?: number; admin?: boolean; stepMs?: number } = {},
) {
  await page.evaluate(([c, o]) => window.__forge.mount(c, o), [config, opts] as const);
  await page.locator("forge-device-row").first().waitFor();
}

const received = () => page.evaluate(() => window.__forge.fake!.connection.received.map((m) => ({ ...m })));

beforeAll(async () => {
  browser = await launchChromium();
  harness = await startHarness();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(harness.url);
  await page.waitForFunction(() => window.__forge?.ready === true, undefined, { timeout: 15_000 });
  expect(errors).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await harness?.close();
});

describe("card inside Home Assistant (fake hass)", () => {
  it("registers itself for the card picker and answers Lovelace's sizing calls", async () => {
    const info = await page.evaluate(() => {
      const Card = customElements.get("esphome-forge-card") as unknown as { getStubConfig(): unknown };
      return { cards: window.customCards?.map((c) => c.type), stub: Card.getStubConfig() };
    });
    expect(info.cards).toEqual(["esphome-forge-card"]);
    expect(info.stub).toMatchObject({ views: ["devices", "queue", "workers", "schedules"], compact: false });
    await mount({ type: T, ...(info.stub as object) });
    const sizes = await page.evaluate(() => ({
      size: window.__forge.card!.getCardSize(),
      grid: window.__forge.card!.getGridOptions(),
    }));
    expect(sizes.size).toBeGreaterThan(2);
    expect(sizes.grid).toMatchObject({ columns: "full", rows: "auto", min_columns: 6 });
  });

  it("shows the integration's snapshot with online state and running versions from HA", async () => {
    await mount({ type: T, title: "ESPHome builds" }, { devices: 8 });
    await expect.poll(() => page.locator("forge-device-row").count()).toBe(8);
    // The sidecar's trust status through esphome_forge/trust_status (admins).
    await expect
      .poll(() => page.locator("forge-trust-status .line").textContent())
      .toMatch(/policy enforce[\s\S]*revocations v2[\s\S]*log check ok/);
    expect((await received()).some((m) => m.type === "esphome_forge/trust_status")).toBe(true);
    const subscribe = (await received()).find((m) => m.type === "esphome_forge/subscribe");
    expect(subscribe).toEqual({ type: "esphome_forge/subscribe" });
    // fleet device 3 has its only entity unavailable → offline; device 0 runs 2026.9.2 → outdated
    const row3 = page.locator("forge-device-row").filter({ hasText: "Garden switch 3" });
    await expect.poll(() => row3.locator(".online").textContent()).toBe("offline");
    const row0 = page.locator("forge-device-row").filter({ hasText: "Kitchen plug 0" });
    expect(await row0.locator(".version").textContent()).toMatch(/2026\.9\.2[\s\S]*outdated/);
    // a state change in HA reaches only presence: the device comes back online
    await page.evaluate(() => window.__forge.fake!.setState("sensor.garden_switch_3_wifi_signal", "-70"));
    await expect.poll(() => row3.locator(".online").textContent()).toBe("online");
  });

  it("asks before updating many devices over the air", async () => {
    await mount({ type: T }, { devices: 5 });
    await page.getByRole("checkbox", { name: "Select all shown devices" }).check();
    await page.getByRole("button", { name: "Compile & upload" }).click();
    const dialog = page.getByRole("alertdialog");
    await expect.poll(() => dialog.textContent()).toContain("Update 5 devices over the air?");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    expect((await received()).some((m) => m.type === "esphome_forge/compile")).toBe(false);
    await page.getByRole("button", { name: "Compile & upload" }).click();
    await dialog.getByRole("button", { name: "Update 5 devices" }).click();
    await expect
      .poll(() => received().then((r) => r.find((m) => m.type === "esphome_forge/compile")?.device_ids))
      .toHaveLength(5);
  });

  it("lines the queue's columns up across rows and sections, whatever each row holds", async () => {
    await mount({ type: T }, { devices: 6, stepMs: 60_000 });
    await page.getByRole("checkbox", { name: "Select all shown devices" }).check();
    await page
      .getByRole("region", { name: "Bulk actions" })
      .getByRole("button", { name: "Compile", exact: true })
      .click();
    await page.getByRole("tab", { name: "Queue" }).click();
    const rows = page.locator("forge-queue-view li");
    await expect.poll(() => rows.count()).toBeGreaterThan(3);
    const columns = await rows.evaluateAll((lis) =>
      lis.map((li) => [...li.children].slice(0, 4).map((c) => Math.round(c.getBoundingClientRect().left))),
    );
    // Running, queued and recent rows carry different chips and buttons; every column starts at one x.
    for (const col of [1, 2, 3]) expect(new Set(columns.map((c) => c[col])).size, `column ${col + 1}`).toBe(1);
    await page.getByRole("tab", { name: "Devices" }).click();
  });

  it("rejects a broken config with a message that names the option", async () => {
    const message = await page.evaluate(() => {
      try {
        (document.createElement("esphome-forge-card") as HTMLElement & { setConfig(c: unknown): void }).setConfig({
          type: "custom:esphome-forge-card",
          columns: ["ip"],
        });
        return "no error";
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(message).toBe(
      'esphome-forge-card: columns: unknown value "ip"; choose from online, version, status, trust, last_build',
    );
  });
});
