// Build now, flash later on the standalone dashboard, in a real Chromium against a REAL sidecar
// with its local worker and the stand-in build command: a compile stages the build, the row names
// it (current), and Install staged flashes exactly it with an upload job, no recompile.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Job } from "@esphome-forge/shared";
import { launchChromium } from "./support/chromium.ts";
import { deviceYaml, startSidecar, type RunningSidecar } from "./support/sidecar.ts";

let browser: Browser;
let sidecar: RunningSidecar;
let page: Page;

const row = (name: string) => page.locator("forge-device-row").filter({ hasText: name });

async function jobs(): Promise<Job[]> {
  const res = await fetch(`${sidecar.url}/api/v1/jobs`, { headers: { authorization: `Bearer ${sidecar.token}` } });
  if (!res.ok) throw new Error(`GET /jobs: HTTP ${res.status}`);
  return ((await res.json()) as { jobs: Job[] }).jobs;
}

beforeAll(async () => {
  sidecar = await startSidecar({ "alpha.yaml": deviceYaml("alpha", "Alpha sensor") });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(15_000);
  await page.goto(sidecar.url);
  await page.fill("#token", sidecar.token);
  await page.click("button[type=submit]");
  await page.locator("forge-device-row").first().waitFor();
});

afterAll(async () => {
  await browser?.close();
  await sidecar?.stop();
});

describe("staged firmware on the standalone dashboard (real sidecar)", () => {
  it("stages a compile, then installs it without recompiling", async () => {
    const alpha = row("Alpha sensor");
    await alpha.getByRole("button", { name: "Compile Alpha sensor", exact: true }).click();
    const staged = alpha.locator(".version .staged");
    await expect
      .poll(() => staged.textContent(), { timeout: 30_000 })
      .toMatch(/Staged: build #\d+, ESPHome \S+ · current/);
    const [build] = await jobs();
    expect(build).toMatchObject({ action: "compile", state: "succeeded" });
    expect(await staged.textContent()).toContain(`build #${build!.id}`);

    await alpha.getByRole("button", { name: "Install the staged build on Alpha sensor" }).click();
    await expect.poll(async () => (await jobs()).length).toBe(2);
    await expect
      .poll(async () => (await jobs()).find((j) => j.id !== build!.id)?.state, { timeout: 30_000 })
      .toBe("succeeded");
    const flash = (await jobs()).find((j) => j.id !== build!.id)!;
    // An upload of the staged image: no second build.
    expect(flash.action).toBe("upload");
    // Flashed: the staged build is what runs now, so the row no longer offers it.
    await expect.poll(() => staged.count()).toBe(0);
    expect(await alpha.getByRole("button", { name: "Upload stored firmware to Alpha sensor" }).count()).toBe(1);
  });
});
