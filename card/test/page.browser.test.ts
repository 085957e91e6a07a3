// The standalone dashboard in a real Chromium, served by a REAL sidecar process with its local
// worker and the stand-in build command: login, compile from a row with the log streaming, cancel
// a long build, a failed build's error, the queue and workers views, content trust (a verified
// install, revoked firmware blocked at upload, the trust status line), screenshots.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./support/chromium.ts";
import { DOCS_SCREENSHOTS, SCREENSHOT_DIR } from "./support/paths.ts";
import { publishScreenshots } from "./support/screenshots.ts";
import type { Device } from "@esphome-forge/shared";
import { deviceYaml, startSidecar, type RunningSidecar } from "./support/sidecar.ts";

let browser: Browser;
let sidecar: RunningSidecar;
let page: Page;
const problems: string[] = [];
let failed = false;

const row = (name: string) => page.locator("forge-device-row").filter({ hasText: name });
const status = (name: string) => row(name).locator(".status").textContent();

async function rest<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${sidecar.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${sidecar.token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

beforeAll(async () => {
  sidecar = await startSidecar({
    "alpha.yaml": deviceYaml("alpha", "Alpha sensor", { knobs: "sleep-ms=2500", tags: ["kitchen"] }),
    "bravo.yaml": deviceYaml("bravo", "Bravo plug", {
      platform: "esp8266",
      knobs: "hang=compile",
      tags: ["garage"],
      trustPolicy: "warn",
    }),
    "charlie.yaml": deviceYaml("charlie", "Charlie light", { knobs: "fail-at=compile", tags: ["garden"] }),
    "delta.yaml": deviceYaml("delta", "Delta thermostat", { tags: ["office", "kitchen"] }),
    "echo.yaml": deviceYaml("echo", "Echo switch", { platform: "esp8266", knobs: "sleep-ms=60000" }),
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(15_000);
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" || /Content Security Policy/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });
});

afterEach((ctx) => {
  if (ctx.task.result?.state === "fail") failed = true;
});

afterAll(async () => {
  await browser?.close();
  await sidecar?.stop();
});

describe("standalone dashboard against a real sidecar", () => {
  it("refuses a wrong token, then logs in and keeps the token for the tab", async () => {
    await page.goto(sidecar.url);
    await page.fill("#token", "not-the-token");
    await page.click("button[type=submit]");
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("refused this token");
    problems.length = 0; // the browser logs that 401; it was expected
    // The events socket is opened with a single-use ticket: the token is in neither its URL nor its frames.
    const sockets: { url: string; sent: string[] }[] = [];
    page.on("websocket", (ws) => {
      const s = { url: ws.url(), sent: [] as string[] };
      sockets.push(s);
      ws.on("framesent", (f) => s.sent.push(String(f.payload)));
    });
    await page.fill("#token", sidecar.token);
    await page.click("button[type=submit]");
    await expect.poll(() => page.locator("forge-device-row").count()).toBe(5);
    expect(sockets.map((s) => new URL(s.url).pathname)).toEqual(["/api/v1/events"]);
    expect(JSON.stringify(sockets)).not.toContain(sidecar.token);
    expect(await page.evaluate(() => sessionStorage.getItem("esphome-forge.token"))).toBe(sidecar.token);
    await page.reload();
    await expect.poll(() => page.locator("forge-device-row").count()).toBe(5);
  });

  it("compiles from a row, streams the log and the row reaches success", async () => {
    await row("Alpha sensor").getByRole("button", { name: "Compile Alpha sensor" }).click();
    await expect.poll(() => status("Alpha sensor")).toMatch(/queued|prepare|validate|compile|install|%/);
    await row("Alpha sensor").getByRole("button", { name: "Open the build log of Alpha sensor" }).click();
    const log = page.locator("forge-log-panel .content");
    const lengths = new Set<number>();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      lengths.add(((await log.textContent()) ?? "").length);
      if ((await status("Alpha sensor"))?.includes("succeeded")) break;
      await page.waitForTimeout(100);
    }
    expect(await status("Alpha sensor")).toContain("succeeded");
    await expect.poll(() => log.textContent()).toContain("— job succeeded —");
    // The log arrived in pieces while the build ran, not in one piece at the end.
    expect([...lengths].filter((n) => n > 0).length).toBeGreaterThanOrEqual(3);
    expect(await log.locator("span.a-f2").count()).toBeGreaterThan(0); // ESPHome's green INFO lines
    await page.getByRole("button", { name: "Close the log" }).click();
  });

  it("cancels another device's long build", async () => {
    await row("Bravo plug").getByRole("button", { name: "Compile Bravo plug" }).click();
    const cancel = row("Bravo plug").getByRole("button", { name: /^Cancel the (running|queued) job of Bravo plug$/ });
    await expect.poll(() => status("Bravo plug")).toMatch(/compile|%/);
    await cancel.click();
    await expect.poll(() => status("Bravo plug"), { timeout: 15_000 }).toContain("cancelled");
  });

  it("shows a failed build's error on its row and in its log", async () => {
    await row("Charlie light").getByRole("button", { name: "Compile Charlie light" }).click();
    await expect.poll(() => status("Charlie light"), { timeout: 15_000 }).toContain("failed");
    const error = await row("Charlie light").locator(".status .error-text").textContent();
    expect(error).toMatch(/compile/i);
    await row("Charlie light").getByRole("button", { name: "Open the build log of Charlie light" }).click();
    await expect.poll(() => page.locator("forge-log-panel .content").textContent()).toContain("ERROR");
    await expect
      .poll(() => page.locator("forge-log-panel").getByRole("alert").first().textContent())
      .toMatch(/compile/i);
    await page.getByRole("button", { name: "Close the log" }).click();
  });

  it("filters, and shows the queue and the workers", async () => {
    await page.getByRole("button", { name: "kitchen" }).click();
    await expect.poll(() => page.locator("forge-device-row").count()).toBe(2);
    await page.getByRole("button", { name: "kitchen" }).click();
    await page.getByLabel("Show devices").selectOption("failed");
    await expect.poll(() => page.locator("forge-device-row .name b").allTextContents()).toEqual(["Charlie light"]);
    await page.getByLabel("Show devices").selectOption("all");

    await page.getByRole("tab", { name: "Queue" }).click();
    const recent = page
      .getByRole("region", { name: "Recent jobs" })
      .or(page.locator('section[aria-label="Recent jobs"]'));
    await expect.poll(() => recent.textContent()).toMatch(/succeeded[\s\S]*(ms|s) ·/);
    expect(await recent.textContent()).toContain("cancelled");
    expect(await recent.textContent()).toContain("failed");
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOT_DIR, "queue-light-desktop.png"), fullPage: true });
    await page.getByRole("tab", { name: "Workers" }).click();
    await expect
      .poll(() => page.locator("forge-workers-view li").first().textContent())
      .toMatch(/online[\s\S]*\d \/ 2 slots in use/);
    await page.screenshot({ path: join(SCREENSHOT_DIR, "workers-light-desktop.png"), fullPage: true });
    await page.getByRole("tab", { name: "Devices" }).click();
  });

  it("shows content trust: a verified install, revoked firmware blocked at upload with the reason, the trust status line", async () => {
    const trustLine = page.getByRole("group", { name: "Content trust status" });
    await expect
      .poll(() => trustLine.textContent())
      .toMatch(/policy enforce[\s\S]*no revocation list[\s\S]*log check ok/);
    const policyChip = row("Bravo plug").locator(".trust .policy");
    expect(await policyChip.textContent()).toBe("warn");
    expect(await policyChip.getAttribute("title")).toMatch(/own trust policy: warn/);
    expect(await row("Alpha sensor").locator(".trust .policy").count()).toBe(0);

    await row("Delta thermostat").getByRole("button", { name: "Compile and upload Delta thermostat" }).click();
    await expect.poll(() => status("Delta thermostat"), { timeout: 20_000 }).toContain("succeeded");
    await expect.poll(() => row("Delta thermostat").locator(".trust button").textContent()).toContain("verified");

    await page.getByRole("tab", { name: "Queue" }).click();
    const recent = page.locator('section[aria-label="Recent jobs"] li');
    const installed = recent.filter({ hasText: "Delta thermostat" }).first().locator(".job-trust");
    await expect.poll(() => installed.textContent()).toBe("verified");
    expect(await installed.getAttribute("class")).toContain("tone-ok");
    expect(await installed.getAttribute("aria-label")).toMatch(
      /^Content trust: verified, signer .+, build #\d+ — .+\. Policy enforce: allowed at the upload gate\.$/,
    );
    const compiled = recent.filter({ hasText: "Alpha sensor" }).first().locator(".job-trust");
    expect(await compiled.getAttribute("aria-label")).toMatch(/verified.*allowed at the build's approval/);

    // An operator revokes Alpha's compiled firmware; flashing it again is refused and says why.
    const alpha = await rest<Device>("GET", "/devices/alpha");
    const sha = alpha.trust.pending.firmwareSha256!;
    expect(sha).toMatch(/^[0-9a-f]{64}$/);
    await rest("POST", "/trust/revocations", {
      entries: [{ kind: "artifact", sha256: sha, reason: "found a bad sensor driver" }],
    });
    await expect.poll(() => trustLine.textContent()).toMatch(/revocations v1 · expires in \d+ d/);
    await page.getByRole("tab", { name: "Devices" }).click();
    await expect.poll(() => row("Alpha sensor").locator(".trust button").textContent()).toContain("revoked");
    // Its staged build is revoked: not offered as "Install staged", but an upload of it is refused at the gate.
    expect(await row("Alpha sensor").locator(".version .staged").textContent()).toMatch(/· revoked/);
    await row("Alpha sensor").getByRole("button", { name: "Upload stored firmware to Alpha sensor" }).click();
    await expect.poll(() => status("Alpha sensor"), { timeout: 15_000 }).toContain("failed");
    expect(await row("Alpha sensor").locator(".status .error-text").textContent()).toMatch(
      /^blocked by content trust: .*found a bad sensor driver/,
    );

    await page.getByRole("tab", { name: "Queue" }).click();
    const upload = recent.filter({ hasText: /Alpha sensor\s*upload #/ }).first();
    await expect.poll(() => upload.locator(".job-trust").textContent()).toBe("blocked · revoked");
    expect(await upload.locator(".job-trust").getAttribute("class")).toContain("tone-bad");
    expect(await upload.locator(".job-trust").getAttribute("aria-label")).toMatch(
      /^Content trust: revoked — .*found a bad sensor driver.*Policy enforce: blocked at the upload gate\.$/,
    );
    expect(await upload.locator(".err").textContent()).toMatch(
      /^blocked by content trust: .*found a bad sensor driver/,
    );
    await page.screenshot({ path: join(SCREENSHOT_DIR, "queue-trust-light-desktop.png"), fullPage: true });

    await upload.getByRole("button", { name: /^Open the log of job/ }).click();
    const panel = page.locator("forge-log-panel");
    await expect.poll(() => panel.locator(".job-trust").textContent()).toBe("blocked · revoked");
    await expect
      .poll(() => panel.getByRole("alert").first().textContent())
      .toMatch(/^blocked by content trust: .*found a bad sensor driver/);
    await page.getByRole("button", { name: "Close the log" }).click();
    await page.getByRole("tab", { name: "Devices" }).click();
  });

  it("takes screenshots of the devices view (light, dark; desktop, phone)", async () => {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    // A build in progress makes the picture show live progress and elapsed time.
    await row("Echo switch").getByRole("button", { name: "Compile and upload Echo switch" }).click();
    await expect.poll(() => status("Echo switch")).toMatch(/compile|%/);
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe(scheme);
      for (const [label, width] of [
        ["desktop", 1280],
        ["tablet", 900],
        ["phone", 390],
      ] as const) {
        await page.setViewportSize({ width, height: width > 500 ? 720 : 844 });
        await page.waitForTimeout(150);
        const overflow = await page.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
        );
        expect(overflow, `${scheme} ${label} has horizontal overflow`).toBeLessThanOrEqual(0);
        await page.screenshot({ path: join(SCREENSHOT_DIR, `devices-${scheme}-${label}.png`), fullPage: true });
      }
    }
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 1280, height: 900 });
    publishScreenshots(DOCS_SCREENSHOTS, failed);
  });

  it("says since when the sidecar is unreachable and pauses actions; live again when it is back", async () => {
    const { dataDir, token } = sidecar;
    const port = Number(new URL(sidecar.url).port);
    await sidecar.stop({ keepData: true });
    const banner = page.locator(".banner.notice");
    await expect.poll(() => banner.textContent()).toMatch(/Forge sidecar unreachable since \d\d:\d\d/);
    const compile = row("Delta thermostat").getByRole("button", { name: "Compile Delta thermostat" });
    expect(await compile.isDisabled()).toBe(true);
    expect(await compile.getAttribute("title")).toBe("Paused: the sidecar is unreachable");
    expect(await row("Delta thermostat").count()).toBe(1); // the last known state stays
    problems.length = 0; // the browser logs the refused reconnects; they were expected
    sidecar = await startSidecar({}, { token, dataDir, port });
    await expect.poll(() => banner.count(), { timeout: 30_000 }).toBe(0);
    expect(await compile.isDisabled()).toBe(false);
    problems.length = 0;
  });

  it("signs out and forgets the token", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.locator("#token").waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("esphome-forge.token"))).toBeNull();
    expect(problems).toEqual([]);
  });
});
