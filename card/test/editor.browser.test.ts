// The config editor of the standalone page in a real Chromium, against a REAL sidecar whose local
// worker validates with the real `esphome config` (compiles use the stand-in): CodeMirror loads a
// device's YAML, a save is a commit, ESPHome's error is marked at its line and shown on the device,
// a fixed config offers compile, the history shows diffs and restores, a stale save shows the
// conflict, and "New device" creates one from a template. Screenshots for the README.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./support/chromium.ts";
import { REPO_DIR, SCREENSHOT_DIR } from "./support/paths.ts";
import { startSidecar, type RunningSidecar } from "./support/sidecar.ts";

const DOCS = {
  [resolve(REPO_DIR, "docs/screenshots/config-editor-light.png")]: join(
    SCREENSHOT_DIR,
    "config-editor-light-desktop.png",
  ),
  [resolve(REPO_DIR, "docs/screenshots/config-history-light.png")]: join(
    SCREENSHOT_DIR,
    "config-history-light-desktop.png",
  ),
};

const KITCHEN = [
  "esphome:",
  "  name: kitchen",
  "  friendly_name: Kitchen sensor",
  "",
  "esp32:",
  "  board: esp32dev",
  "",
  "# Logging, as ESPHome's wizard writes it",
  "logger:",
  "",
  "wifi:",
  "  ssid: !secret wifi_ssid",
  "  password: !secret wifi_password",
  "",
  "api:",
  "ota:",
  "  - platform: esphome",
  "",
].join("\n");

let browser: Browser;
let sidecar: RunningSidecar;
let page: Page;
let config: string;
let failed = false;
const problems: string[] = [];

const row = (name: string) => page.locator("forge-device-row").filter({ hasText: name });
const editor = () => page.locator("forge-config-editor");
const onDisk = () => readFileSync(join(config, "kitchen.yaml"), "utf8");

beforeAll(async () => {
  const esphome = process.env.FORGE_ESPHOME_BIN;
  if (!esphome) throw new Error('FORGE_ESPHOME_BIN is not set: run `eval "$(bash scripts/ensure-esphome.sh)"` first');
  sidecar = await startSidecar(
    { "kitchen.yaml": KITCHEN, "secrets.yaml": 'wifi_ssid: "lab"\nwifi_password: "correct horse"\n' },
    // Validation runs the real ESPHome; only compile and upload use the stand-in.
    {
      slots: 1,
      env: {
        FORGE_BUILD_COMMAND_PHASES: "compile,upload",
        FORGE_ESPHOME_BIN: esphome,
        FORGE_EXTERNAL_SETTLE_MS: "300",
      },
    },
  );
  config = join(sidecar.dataDir, "config");
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.setDefaultTimeout(20_000);
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !/409|Conflict/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  await page.goto(sidecar.url);
  await page.fill("#token", sidecar.token);
  await page.click("button[type=submit]");
  await page.locator("forge-device-row").first().waitFor();
});

afterEach((ctx) => {
  if (ctx.task.result?.state === "fail") failed = true;
});

afterAll(async () => {
  if (failed) console.log(`sidecar output:\n${sidecar?.output().slice(-4000)}`);
  await browser?.close();
  await sidecar?.stop();
});

describe("config editor (standalone page, CodeMirror) against a real sidecar and the real esphome config", () => {
  it("opens a device's YAML in CodeMirror", async () => {
    await row("Kitchen sensor").getByRole("button", { name: "Edit the config of Kitchen sensor" }).click();
    await expect.poll(() => editor().locator(".cm-content").textContent()).toContain("friendly_name: Kitchen sensor");
    expect(await editor().locator(".cm-lineNumbers").count()).toBe(1);
    // CodeMirror is in the page's bundle only; the card bundle HA loads has none of it.
    const card = readFileSync(
      resolve(REPO_DIR, "custom_components/esphome_forge/frontend/esphome-forge-card.js"),
      "utf8",
    );
    expect(card).not.toContain("cm-scroller");
  });

  it("saves an invalid edit as a commit and marks ESPHome's error at its line, also on the device", async () => {
    await editor()
      .locator(".cm-line", { hasText: /^logger:$/ })
      .click();
    await page.keyboard.press("End");
    await page.keyboard.insertText("\n  level: BOGUS");
    await expect.poll(() => editor().locator(".chip", { hasText: "unsaved" }).count()).toBe(1);
    await page.keyboard.press("Control+s");
    await expect
      .poll(() => editor().locator(".status").first().textContent(), { timeout: 60_000 })
      .toMatch(/Saved as [0-9a-f]{7}\./);
    const saved = onDisk();
    expect(saved).toBe(KITCHEN.replace("logger:\n", "logger:\n  level: BOGUS\n"));
    const line = saved.split("\n").findIndex((l) => l.includes("BOGUS")) + 1;
    const errors = editor().getByRole("list", { name: "Validation errors" });
    await expect.poll(() => errors.textContent(), { timeout: 90_000 }).toMatch(new RegExp(`line ${line}: .*BOGUS`));
    expect(await editor().locator(".chip.tone-bad").textContent()).toBe("1 error");
    // The marker sits on that line in CodeMirror's lint gutter and underlines it.
    await expect.poll(() => editor().locator(".cm-lintRange-error").textContent()).toContain("level: BOGUS");
    expect(await editor().locator(".cm-lint-marker-error").count()).toBe(1);
    // The device shows the error too (the inventory reads it with the same esphome config).
    await page.keyboard.press("Control+Home");
    await expect.poll(() => row("Kitchen sensor").textContent(), { timeout: 30_000 }).toMatch(/BOGUS/);
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await editor().scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOT_DIR, "config-editor-light-desktop.png"), fullPage: true });
  });

  it("a valid save offers compile, and the build records the commit", async () => {
    await editor()
      .getByRole("list", { name: "Validation errors" })
      .getByRole("button", { name: /^line \d+$/ })
      .click();
    await page.keyboard.press("Backspace");
    await page.keyboard.press("Backspace");
    expect(onDisk()).toContain("BOGUS");
    await page.keyboard.press("Control+s");
    await expect.poll(() => onDisk()).toBe(KITCHEN);
    await expect.poll(() => editor().locator(".chip.tone-ok").textContent(), { timeout: 90_000 }).toBe("valid");
    await editor().getByRole("button", { name: "Compile", exact: true }).click();
    await expect
      .poll(() => row("Kitchen sensor").locator(".status").textContent(), { timeout: 30_000 })
      .toContain("succeeded");
    await expect
      .poll(() => editor().locator(".status").first().textContent())
      .toMatch(/built from [0-9a-f]{7}, no changes since/);
  });

  it("history lists the commits, shows a version's changes and restores one as a new commit", async () => {
    await editor().getByRole("tab", { name: "History" }).click();
    const list = editor().getByRole("list", { name: "Config history" });
    await expect.poll(() => list.locator("li").count()).toBe(3);
    expect(await list.locator("li").first().textContent()).toMatch(/Edit kitchen\.yaml[\s\S]*admin · card/);
    const bad = list.locator("li").nth(1);
    await bad.getByRole("button", { name: /^Show the changes of / }).click();
    const diff = editor().locator("forge-diff-view");
    await expect.poll(() => diff.locator(".add").allTextContents()).toEqual(["+  level: BOGUS"]);
    await page.screenshot({ path: join(SCREENSHOT_DIR, "config-history-light-desktop.png"), fullPage: true });
    await bad.getByRole("button", { name: /^Restore the version / }).click();
    await expect.poll(() => onDisk()).toContain("level: BOGUS");
    await expect.poll(() => list.locator("li").first().textContent()).toMatch(/Restore kitchen\.yaml to [0-9a-f]{7}/);
    await editor().getByRole("tab", { name: "Edit" }).click();
    await expect.poll(() => editor().locator(".cm-content").textContent()).toContain("level: BOGUS");
  });

  it("a save on top of a change made elsewhere shows the conflict and its diff; nothing is lost", async () => {
    writeFileSync(join(config, "kitchen.yaml"), onDisk().replace("level: BOGUS", "level: DEBUG"));
    await editor()
      .locator(".cm-line", { hasText: /^api:$/ })
      .click();
    await page.keyboard.press("End");
    await page.keyboard.insertText("\n  reboot_timeout: 0s");
    await page.keyboard.press("Control+s");
    const conflict = editor().getByRole("region", { name: "Save conflict" });
    await expect.poll(() => conflict.textContent()).toMatch(/Someone changed this file/);
    expect(await conflict.locator(".add").allTextContents()).toEqual(
      expect.arrayContaining(["+  level: BOGUS", "+  reboot_timeout: 0s"]),
    );
    expect(await conflict.locator(".del").allTextContents()).toEqual(["-  level: DEBUG"]);
    expect(onDisk()).toContain("level: DEBUG");
    await conflict.getByRole("button", { name: "Load the current version (drop mine)" }).click();
    await expect.poll(() => editor().locator(".cm-content").textContent()).toContain("level: DEBUG");
  });

  it('"New device" creates one from a template and opens it', async () => {
    await page.getByRole("button", { name: "New device" }).click();
    const dialog = page.locator("forge-new-device-dialog dialog");
    await dialog.getByLabel("Name (hostname)").fill("attic-fan");
    await dialog.getByLabel("Friendly name").fill("Attic fan");
    await expect
      .poll(() => dialog.getByLabel("Template").locator("option").allTextContents())
      .toEqual(["ESP32 (esp32dev)", "ESP8266 (d1_mini)", "RP2040 (Pico W) (rpipicow)", "BK72xx (LibreTiny) (cb2s)"]);
    await dialog.getByLabel("Template").selectOption("esp8266");
    await dialog.getByRole("button", { name: "Create" }).click();
    await expect
      .poll(() => page.locator("forge-device-row").count(), { message: (await dialog.textContent()) ?? "" })
      .toBe(2);
    await expect.poll(() => editor().locator(".cm-content").textContent()).toContain("name: attic-fan");
    const text = readFileSync(join(config, "attic-fan.yaml"), "utf8");
    expect(text).toMatch(/ssid: !secret wifi_ssid/);
    // The template is valid for the real ESPHome: its validate job (queued on create) succeeds.
    const device = async () =>
      (await (
        await fetch(`${sidecar.url}/api/v1/devices/attic-fan`, {
          headers: { authorization: `Bearer ${sidecar.token}` },
        })
      ).json()) as {
        error: string | null;
        validation: { state: string; errors: unknown[] } | null;
      };
    await expect.poll(async () => (await device()).validation?.state, { timeout: 90_000 }).toBe("succeeded");
    expect((await device()).error).toBeNull();
    expect(problems).toEqual([]);
    for (const [docs, shot] of Object.entries(DOCS)) {
      if (failed || (existsSync(docs) && process.env.FORGE_UPDATE_SCREENSHOTS !== "1")) continue;
      copyFileSync(shot, docs);
    }
  });
});
