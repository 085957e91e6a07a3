// Armed, asleep and staged devices in the Lovelace card, in a real Chromium, inside the page that
// plays Home Assistant (the faithful fake `hass` of card-in-ha.browser.test.ts, whose fleet parks an
// armed flash to an offline device in `waiting_for_device` as the sidecar does): the bulk "update
// outdated when online" and the README's picture. The same states against a real sidecar:
// standalone-armed-staged.browser.test.ts.
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./support/chromium.ts";
import { startHarness, type Harness } from "./support/harness.ts";
import { REPO_DIR, SCREENSHOT_DIR } from "./support/paths.ts";
import { publishScreenshots } from "./support/screenshots.ts";

/** The README's picture of armed, asleep and staged rows. */
const PICTURE = join(SCREENSHOT_DIR, "card-armed-staged-light.png");
const DOCS = { [resolve(REPO_DIR, "docs/screenshots/card-armed-staged-light.png")]: PICTURE };
let failed = false;

let browser: Browser;
let harness: Harness;
let page: Page;

const T = "custom:esphome-forge-card";
const received = () => page.evaluate(() => window.__forge.fake!.connection.received.map((m) => ({ ...m })));
const row = (name: string) => page.locator("forge-device-row").filter({ hasText: name });

/** Changes a device in the fake fleet (as a `device` event from the integration). */
async function patchDevice(index: number, patch: Record<string, unknown>): Promise<string> {
  return page.evaluate(
    ([i, p]) => {
      const fleet = window.__forge.fake!.fleet;
      const d = [...fleet.devices.values()][i]!;
      fleet.upsertDevice({ ...d, ...p });
      return d.id;
    },
    [index, patch] as const,
  );
}

beforeAll(async () => {
  browser = await launchChromium();
  harness = await startHarness();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(10_000);
  await page.goto(harness.url);
  await page.waitForFunction(() => window.__forge?.ready === true, undefined, { timeout: 15_000 });
  await page.evaluate((c) => window.__forge.mount(c, { devices: 6 }), { type: T });
  await page.locator("forge-device-row").first().waitFor();
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
});

afterEach((ctx) => {
  if (ctx.task.result?.state === "fail") failed = true;
});

afterAll(async () => {
  await browser?.close();
  await harness?.close();
  publishScreenshots(DOCS, failed);
});

describe("armed, asleep and staged in the card", () => {
  it("shows a sleeping device as asleep", async () => {
    await patchDevice(1, { deepSleep: true, online: false, lastSeen: new Date(Date.now() - 3_600_000).toISOString() });
    await expect.poll(() => row("Living light 1").locator(".online").textContent()).toMatch(/^asleep/);
  });

  it("shows a staged build once compiled and installs it without recompiling", async () => {
    // The config changed: a compile (no flash) stages a build of it.
    const id = await patchDevice(2, { configHash: "ef".repeat(32), outdated: true });
    const garage = row("Garage sensor 2");
    await garage.getByRole("button", { name: "Compile Garage sensor 2", exact: true }).click();
    await expect
      .poll(() => garage.locator(".version .staged").textContent())
      .toMatch(/Staged: build #\d+, ESPHome 2026\.10\.0 · current/);
    const install = garage.getByRole("button", { name: "Install the staged build on Garage sensor 2" });
    expect(await install.getAttribute("title")).toContain("without recompiling");
    await install.click();
    await expect
      .poll(async () => (await received()).find((m) => m.type === "esphome_forge/upload"))
      .toMatchObject({ device_ids: [id] });
    // Flashed: what runs is the staged build, so it is no longer named.
    await expect.poll(() => garage.locator(".version .staged").count()).toBe(0);
    await expect
      .poll(() => garage.getByRole("button", { name: "Upload stored firmware to Garage sensor 2" }).count())
      .toBe(1);
  });

  it("arms the outdated devices, shows the armed one and its expiry, and cancels it from the queue", async () => {
    // Three devices are outdated (two by config, one runs another version as HA reports); the
    // kitchen plug among them is away.
    const kitchenId = await patchDevice(0, { online: false, lastSeen: new Date(Date.now() - 600_000).toISOString() });
    await page.getByRole("button", { name: "Update 3 outdated when online" }).click();
    const dialog = page.getByRole("alertdialog");
    await expect.poll(() => dialog.textContent()).toContain("when it is online");
    await dialog.getByRole("button", { name: "Update 3 devices" }).click();
    await expect
      .poll(async () => (await received()).filter((m) => m.type === "esphome_forge/compile").at(-1)?.when_online)
      .toBe(true);
    const compile = (await received()).filter((m) => m.type === "esphome_forge/compile").at(-1);
    expect(compile).toMatchObject({ upload: true, when_online: true });
    expect(compile?.device_ids).toHaveLength(3);
    expect(compile?.device_ids).toContain(kitchenId);

    const kitchen = row("Kitchen plug 0");
    await expect.poll(() => kitchen.locator(".status .chip").textContent()).toBe("armed");
    expect(await kitchen.locator(".status").textContent()).toMatch(/flashes when back online · until \d{4}-\d\d-\d\d/);
    // The online device was flashed at once.
    await expect.poll(() => row("Bedroom plug 5").locator(".status .chip").textContent()).toBe("succeeded");
    // Armed (kitchen), asleep (living room) and staged (the office thermostat: a new config built,
    // not flashed) in one picture.
    await patchDevice(4, {
      configHash: "0f".repeat(32),
      outdated: true,
      storedFirmware: {
        jobId: 20_042,
        finishedAt: new Date().toISOString(),
        firmwareSha256: "0e".repeat(32),
        esphomeVersion: "2026.10.0",
        configHash: "0f".repeat(32),
        current: true,
      },
    });
    await expect.poll(() => row("Office thermostat 4").locator(".version .staged").count()).toBe(1);
    await page.locator("esphome-forge-card").screenshot({ path: PICTURE });

    await page.getByRole("tab", { name: "Queue" }).click();
    const queued = page.getByRole("region", { name: "Queued jobs" });
    const armed = queued.locator("li").filter({ hasText: "Kitchen plug 0" });
    await expect
      .poll(() => armed.locator(".armed-reason").textContent())
      .toMatch(/^Armed · flashes when back online · until /);
    expect(await armed.textContent()).toContain("armed · interactive");
    await armed.getByRole("button", { name: /^Cancel job/ }).click();
    await expect.poll(async () => (await received()).some((m) => m.type === "esphome_forge/cancel")).toBe(true);
    await expect.poll(() => armed.count()).toBe(0);
    await page.getByRole("tab", { name: "Devices" }).click();
    await expect.poll(() => row("Kitchen plug 0").locator(".status .chip").textContent()).toBe("cancelled");
  });
});
