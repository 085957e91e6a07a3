// The Lovelace card in a real Chromium, inside a page that plays Home Assistant: a faithful fake
// `hass` whose connection answers the integration's commands. Loads the committed bundle.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./support/chromium.ts";
import { startHarness, type Harness } from "./support/harness.ts";
import { SCREENSHOT_DIR } from "./support/paths.ts";

let browser: Browser;
let harness: Harness;
let page: Page;

const T = "custom:esphome-forge-card";

async function mount(config: Record<string, unknown>, opts: { devices?: number; admin?: boolean } = {}) {
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
    expect(sizes.grid).toMatchObject({ columns: 12, min_columns: 6 });
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

  it("compiles through esphome_forge/compile, streams the log and reaches success", async () => {
    await mount({ type: T }, { devices: 4 });
    const row = page.locator("forge-device-row").filter({ hasText: "Living light 1" });
    await row.getByRole("button", { name: "Compile Living light 1" }).click();
    await expect
      .poll(() => received().then((r) => r.find((m) => m.type === "esphome_forge/compile")))
      .toEqual({ type: "esphome_forge/compile", device_ids: ["living-light-1"], upload: false });
    await row.getByRole("button", { name: "Open the build log of Living light 1" }).click();
    const log = page.locator("forge-log-panel .content");
    await expect.poll(() => log.textContent(), { timeout: 10_000 }).toContain("Successfully compiled program.");
    await expect.poll(() => row.locator(".status").textContent(), { timeout: 10_000 }).toContain("succeeded");
    expect((await received()).some((m) => m.type === "esphome_forge/job_log")).toBe(true);
    expect(await page.evaluate(() => window.__forge.fake!.connection.unhandled.length)).toBe(0);
  });

  it("shows HA's refusal for a non-admin user inline on the row", async () => {
    await mount({ type: T }, { devices: 3, admin: false });
    const row = page.locator("forge-device-row").first();
    await row.getByRole("button", { name: /^Compile and upload/ }).click();
    await expect.poll(() => row.getByRole("alert").textContent()).toContain("Only Home Assistant administrators");
    // The trust status command is admin-only too: no line, and it is not even asked.
    expect(await page.locator("forge-trust-status").count()).toBe(0);
    expect((await received()).some((m) => m.type === "esphome_forge/trust_status")).toBe(false);
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

  it("round-trips the visual editor's config into the card", async () => {
    await mount({ type: T, views: ["devices", "queue", "workers"] });
    const result = await page.evaluate(async () => {
      const Card = customElements.get("esphome-forge-card") as unknown as {
        getConfigElement(): Promise<HTMLElement> | HTMLElement;
      };
      const editor = (await Card.getConfigElement()) as HTMLElement & {
        setConfig(c: unknown): void;
        hass: unknown;
        updateComplete: Promise<unknown>;
      };
      editor.hass = window.__forge.fake!.hass;
      editor.setConfig({ type: "custom:esphome-forge-card", views: ["devices", "queue", "workers"], tags: [] });
      document.body.append(editor);
      await editor.updateComplete;
      const configs: unknown[] = [];
      editor.addEventListener("config-changed", (e) => configs.push((e as CustomEvent).detail.config));
      const click = async (sel: string) => {
        editor.shadowRoot!.querySelector<HTMLInputElement>(sel)!.click();
        await editor.updateComplete;
      };
      await click('input[name="view-workers"]');
      await click('input[name="column-trust"]');
      const tags = editor.shadowRoot!.querySelector<HTMLInputElement>("#tags")!;
      tags.value = "kitchen";
      tags.dispatchEvent(new Event("change"));
      await editor.updateComplete;
      const last = configs[configs.length - 1];
      window.__forge.card!.setConfig(last);
      await window.__forge.card!.updateComplete;
      editor.remove();
      return { count: configs.length, last };
    });
    expect(result.count).toBe(3);
    expect(result.last).toEqual({
      type: T,
      views: ["devices", "queue"],
      tags: ["kitchen"],
      columns: ["online", "version", "status", "last_build"],
    });
    await expect.poll(() => page.getByRole("tab").allTextContents()).toEqual(["Devices", "Queue"]);
    await expect.poll(() => page.locator("forge-device-row").count()).toBe(1); // only "kitchen" devices (8 devices, every 8th)
    await expect.poll(() => page.locator("forge-device-row .trust").count()).toBe(0);
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

  it("follows HA's theme: light and dark variables change the card's colours", async () => {
    await mount({ type: T, title: "ESPHome builds" }, { devices: 6 });
    const colours = () =>
      page.evaluate(() => {
        const card = window.__forge.card!.shadowRoot!.querySelector("ha-card")!;
        const row = document
          .querySelector("esphome-forge-card")!
          .shadowRoot!.querySelector("forge-dashboard")!
          .shadowRoot!.querySelector("forge-devices-view")!
          .shadowRoot!.querySelector("forge-device-row")!;
        return { background: getComputedStyle(card).backgroundColor, text: getComputedStyle(row).color };
      });
    expect(await colours()).toEqual({ background: "rgb(255, 255, 255)", text: "rgb(33, 33, 33)" });
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.locator("esphome-forge-card").screenshot({ path: join(SCREENSHOT_DIR, "card-light.png") });
    await page.evaluate(() => window.__forge.setDark(true));
    expect(await colours()).toEqual({ background: "rgb(28, 28, 28)", text: "rgb(225, 225, 225)" });
    await page.locator("esphome-forge-card").screenshot({ path: join(SCREENSHOT_DIR, "card-dark.png") });
    await page.evaluate(() => window.__forge.setDark(false));
    expect((await colours()).background).toBe("rgb(255, 255, 255)");
  });

  it("fits a phone-width dashboard column", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await mount({ type: T }, { devices: 4 });
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await page.locator("esphome-forge-card").screenshot({ path: join(SCREENSHOT_DIR, "card-phone.png") });
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});
