// The schedules view of the standalone dashboard in a real Chromium against a REAL sidecar (its local
// worker builds with the stand-in): create a schedule from the form (the next runs previewed as you
// type, a bad cron refused before saving), see its next run, run it now and see the job and the
// outcome, pause and resume, edit, a refused run (below the build floor) with the sidecar's reason,
// delete; and a screenshot for the README.
import { copyFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Schedule } from "@esphome-forge/shared";
import { launchChromium } from "./support/chromium.ts";
import { REPO_DIR, SCREENSHOT_DIR } from "./support/paths.ts";
import { deviceYaml, startSidecar, type RunningSidecar } from "./support/sidecar.ts";

let browser: Browser;
let sidecar: RunningSidecar;
let page: Page;
const problems: string[] = [];

async function rest<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${sidecar.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${sidecar.token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Text content with whitespace collapsed (templates add line breaks). */
const text = async (l: Locator) => ((await l.textContent()) ?? "").replace(/\s+/g, " ").trim();
const item = (name: string) => page.getByRole("listitem", { name: `Schedule ${name}` });
const form = () => page.locator("forge-schedule-form form");

beforeAll(async () => {
  sidecar = await startSidecar({
    "alpha.yaml": deviceYaml("alpha", "Alpha sensor", { knobs: "sleep-ms=300", tags: ["kitchen"] }),
    "bravo.yaml": deviceYaml("bravo", "Bravo plug", { platform: "esp8266", tags: ["garage"] }),
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, timezoneId: "Europe/Berlin" });
  page.setDefaultTimeout(15_000);
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
});

afterAll(async () => {
  await browser?.close();
  await sidecar?.stop();
});

describe("schedules view against a real sidecar", () => {
  it("starts empty and creates a schedule from the form, previewing its next runs", async () => {
    await page.goto(sidecar.url);
    await page.fill("#token", sidecar.token);
    await page.click("button[type=submit]");
    await expect.poll(() => page.locator("forge-device-row").count()).toBe(2);
    await page.getByRole("tab", { name: "Schedules" }).click();
    await expect.poll(() => text(page.locator("forge-schedules-view .empty"))).toContain("No schedules yet");
    await page.getByRole("button", { name: "New schedule" }).click();
    await form().getByLabel("Name", { exact: true }).fill("Kitchen nightly");
    await form().getByLabel("Target", { exact: true }).selectOption("tag");
    await form().getByLabel("Tag", { exact: true }).selectOption("kitchen");
    await form().getByLabel("Action", { exact: true }).selectOption("compile");
    // A bad expression is caught before anything is sent, with the reason.
    await form().getByLabel("Cron expression", { exact: true }).fill("61 3 * * *");
    await expect.poll(() => text(form().locator(".preview"))).toContain("minute: 61 is outside 0–59");
    expect(await form().getByRole("button", { name: "Create schedule" }).isDisabled()).toBe(true);
    await form().getByLabel("Cron expression", { exact: true }).fill("30 2 * * *");
    await form().getByLabel("Time zone", { exact: true }).fill("Europe/Berlin");
    await expect.poll(() => text(form().locator(".preview"))).toMatch(/^Next runs: \d{4}-\d\d-\d\d 02:30:00 · /);
    await form().getByRole("button", { name: "Create schedule" }).click();

    await expect.poll(() => item("Kitchen nightly").count()).toBe(1);
    const [created] = (await rest<{ schedules: Schedule[] }>("GET", "/schedules")).schedules;
    expect(created).toMatchObject({
      name: "Kitchen nightly",
      target: { kind: "tag", tag: "kitchen" },
      action: "compile",
      onlyOutdated: true,
      when: { cron: "30 2 * * *", timeZone: "Europe/Berlin" },
    });
    const shown = await text(item("Kitchen nightly"));
    expect(shown).toContain("Compile devices tagged kitchen");
    expect(shown).toContain("only outdated");
    expect(shown).toContain("cron 30 2 * * * (Europe/Berlin)");
    // The page runs in Berlin time, so the next run reads 02:30 local.
    expect(shown).toMatch(/Next run: in \d+ (h|min|d) \(\d{4}-\d\d-\d\d 02:30:00\)/);
  });

  it("runs it now: the job is queued and the outcome shows", async () => {
    await item("Kitchen nightly").getByRole("button", { name: "Run Kitchen nightly now" }).click();
    await expect.poll(() => text(item("Kitchen nightly").locator(".last"))).toMatch(/Last run: queued/);
    expect(await text(item("Kitchen nightly").locator(".last"))).toContain("1 compile job(s) queued");
    await page.getByRole("tab", { name: "Queue" }).click();
    await expect.poll(() => page.locator("forge-queue-view").getByText("Alpha sensor").count()).toBeGreaterThan(0);
    await page.getByRole("tab", { name: "Schedules" }).click();
  });

  it("pauses and resumes, and edits the timing", async () => {
    await item("Kitchen nightly").getByRole("button", { name: "Pause Kitchen nightly" }).click();
    await expect.poll(() => text(item("Kitchen nightly").locator(".chip").first())).toBe("paused");
    expect(await text(item("Kitchen nightly").locator(".next"))).toBe("Next run: none");
    await item("Kitchen nightly").getByRole("button", { name: "Resume Kitchen nightly" }).click();
    await expect.poll(() => text(item("Kitchen nightly").locator(".chip").first())).toBe("active");

    await item("Kitchen nightly").getByRole("button", { name: "Edit Kitchen nightly" }).click();
    expect(await form().getByLabel("Cron expression", { exact: true }).inputValue()).toBe("30 2 * * *");
    await form().getByLabel("Preset", { exact: true }).selectOption({ label: "Sundays at 03:00" });
    await form().getByRole("button", { name: "Save" }).click();
    await expect.poll(() => text(item("Kitchen nightly"))).toContain("cron 0 3 * * 0 (Europe/Berlin)");
    const [s] = (await rest<{ schedules: Schedule[] }>("GET", "/schedules")).schedules;
    expect(new Date(s!.nextRunAt!).getUTCDay()).toBe(0);
  });

  it("shows a refused run with the sidecar's reason", async () => {
    await rest("PATCH", "/settings", { buildMinFreeDiskMb: 1_048_576 });
    try {
      await item("Kitchen nightly").getByRole("button", { name: "Run Kitchen nightly now" }).click();
      await expect.poll(() => text(item("Kitchen nightly").locator(".last"))).toMatch(/Last run: refused/);
      expect(await text(item("Kitchen nightly").locator(".last"))).toContain("new builds are refused");
    } finally {
      await rest("PATCH", "/settings", { buildMinFreeDiskMb: 256 });
    }
  });

  it("takes a screenshot, then deletes after a second click", async () => {
    await rest("POST", "/schedules", {
      name: "Bravo once",
      target: { kind: "device", deviceId: "bravo" },
      action: "compile_upload",
      onlyOutdated: false,
      when: { at: new Date(Date.now() + 86_400_000).toISOString() },
    });
    await expect.poll(() => item("Bravo once").count()).toBe(1);
    expect(await text(item("Bravo once"))).toContain("Compile and upload Bravo plug");
    await item("Kitchen nightly").getByRole("button", { name: "Run Kitchen nightly now" }).click();
    await expect.poll(() => text(item("Kitchen nightly").locator(".last"))).toMatch(/Last run: queued/);
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const shot = join(SCREENSHOT_DIR, "schedules-light-desktop.png");
    await page.screenshot({ path: shot, fullPage: true });
    copyFileSync(shot, resolve(REPO_DIR, "docs/screenshots/schedules-light.png"));

    await item("Bravo once").getByRole("button", { name: "Delete Bravo once" }).click();
    await item("Bravo once").getByRole("button", { name: "Really delete Bravo once" }).click();
    await expect.poll(() => item("Bravo once").count()).toBe(0);
    expect((await rest<{ schedules: Schedule[] }>("GET", "/schedules")).schedules.map((s) => s.name)).toEqual([
      "Kitchen nightly",
    ]);
    expect(problems).toEqual([]);
  });
});
