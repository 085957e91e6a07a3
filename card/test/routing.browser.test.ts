// The routing view and blocked reasons in a real Chromium against a REAL sidecar (its local worker
// has no tags): an admin adds a rule from the form, sees which devices it decides for and that no
// online worker qualifies; a job for a matching device shows as blocked in the queue with the
// sidecar's reason naming the rule; a bad edit is refused with the sidecar's message and changes
// nothing; deleting the rule lets the job run.
import { copyFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Job, RoutingRule } from "@esphome-forge/shared";
import { launchChromium } from "./support/chromium.ts";
import { REPO_DIR, SCREENSHOT_DIR } from "./support/paths.ts";
import { deviceYaml, startSidecar, type RunningSidecar } from "./support/sidecar.ts";

let browser: Browser;
let sidecar: RunningSidecar;
let page: Page;
const problems: string[] = [];
let jobId = 0;

async function rest<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${sidecar.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${sidecar.token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const text = async (l: Locator) => ((await l.textContent()) ?? "").replace(/\s+/g, " ").trim();
const rule = (name: string) => page.getByRole("listitem", { name: `Rule ${name}` });
const form = () => page.locator("forge-routing-view form");
const rules = async () =>
  (await rest<{ settings: { routingRules: RoutingRule[] } }>("GET", "/settings")).settings.routingRules;

beforeAll(async () => {
  sidecar = await startSidecar({
    "alpha.yaml": deviceYaml("alpha", "Alpha sensor", { knobs: "sleep-ms=300", tags: ["kitchen"] }),
    "bravo.yaml": deviceYaml("bravo", "Bravo plug", { platform: "esp8266", tags: ["garage"] }),
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
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

describe("routing view against a real sidecar", () => {
  it("adds a rule from the form and shows the devices it decides for and that no worker qualifies", async () => {
    await page.goto(sidecar.url);
    await page.fill("#token", sidecar.token);
    await page.click("button[type=submit]");
    await expect.poll(() => page.locator("forge-device-row").count()).toBe(2);
    await page.getByRole("tab", { name: "Routing" }).click();
    await expect.poll(() => text(page.locator("forge-routing-view .empty"))).toContain("No routing rules");
    await page.getByRole("button", { name: "New rule" }).click();
    await form().getByLabel("Name", { exact: true }).fill("esp32 builds on x86");
    await form().getByLabel("Platforms", { exact: true }).fill("esp32");
    await form().getByLabel("Worker tags", { exact: true }).fill("x86");
    await form().getByRole("button", { name: "Add rule" }).click();

    await expect.poll(() => rule("esp32 builds on x86").count()).toBe(1);
    expect(await rules()).toEqual([
      { name: "esp32 builds on x86", match: { platforms: ["esp32"] }, workerTags: ["x86"] },
    ]);
    const shown = await text(rule("esp32 builds on x86"));
    expect(shown).toContain("Devices platform esp32 need workers with tags x86");
    expect(shown).toContain("Decides for 1 device: Alpha sensor");
    expect(shown).toContain("No online worker carries these tags");
  });

  it("shows a job for a matching device as blocked in the queue, with the rule in the reason", async () => {
    const created = await rest<{ jobs: { jobId: number }[] }>("POST", "/jobs", {
      action: "compile",
      targets: { devices: ["alpha"] },
    });
    jobId = created.jobs[0]!.jobId;
    await expect.poll(async () => (await rest<Job>("GET", `/jobs/${jobId}`)).state).toBe("blocked");
    await page.getByRole("tab", { name: "Queue" }).click();
    const reason = page.locator("forge-queue-view .blocked-reason");
    await expect
      .poll(() => text(reason))
      .toMatch(/^Blocked: needs a worker with tag x86 \(rule 'esp32 builds on x86'\); online workers: /);
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const shot = join(SCREENSHOT_DIR, "routing-blocked-light-desktop.png");
    await page.screenshot({ path: shot, fullPage: true });
    copyFileSync(shot, resolve(REPO_DIR, "docs/screenshots/routing-blocked-light.png"));
    await page.getByRole("tab", { name: "Routing" }).click();
  });

  it("refuses a bad edit with the sidecar's message and keeps the rule", async () => {
    await rule("esp32 builds on x86").getByRole("button", { name: "Edit esp32 builds on x86" }).click();
    await form().getByLabel("Worker tags", { exact: true }).fill("");
    await form().getByRole("button", { name: "Save" }).click();
    await expect.poll(() => text(page.locator("forge-routing-view [role=alert]"))).toContain("workerTags");
    expect((await rules()).map((r) => r.workerTags)).toEqual([["x86"]]);
    // The browser logs the refused request itself; that one is expected.
    const refused = problems.findIndex((p) => p.includes("status of 400"));
    expect(refused).toBeGreaterThanOrEqual(0);
    problems.splice(refused, 1);
    await form().getByRole("button", { name: "Cancel" }).click();
  });

  it("deleting the rule lets the blocked job run", async () => {
    await rule("esp32 builds on x86").getByRole("button", { name: "Delete esp32 builds on x86" }).click();
    await expect.poll(() => rule("esp32 builds on x86").count()).toBe(0);
    expect(await rules()).toEqual([]);
    await page.getByRole("tab", { name: "Queue" }).click();
    await expect.poll(() => page.locator("forge-queue-view .blocked-reason").count()).toBe(0);
    await expect.poll(async () => (await rest<Job>("GET", `/jobs/${jobId}`)).state).toBe("succeeded");
    expect(problems).toEqual([]);
  });
});
