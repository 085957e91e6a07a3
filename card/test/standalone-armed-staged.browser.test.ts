// Build now, flash later, and devices that are away, on the standalone dashboard in a real Chromium
// against a REAL sidecar (its local worker and the stand-in build command; presence reported the
// way Home Assistant's integration reports it, PUT /devices/:id/presence): a compile stages the
// build and Install staged flashes exactly it with an upload, no recompile; a device that is away
// is armed (its flash waits in waiting_for_device) and Cancel in the queue ends the wait; a
// device whose config has deep_sleep is asleep, not offline.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Job } from "@esphome-forge/shared";
import { launchChromium } from "./support/chromium.ts";
import { deviceYaml, startSidecar, type RunningSidecar } from "./support/sidecar.ts";

let browser: Browser;
let sidecar: RunningSidecar;
let page: Page;

const row = (name: string) => page.locator("forge-device-row").filter({ hasText: name });
const SLEEPER = `${deviceYaml("charlie", "Charlie sleeper").trimEnd()}
deep_sleep:
  run_duration: 20s
  sleep_duration: 10min
`;

async function rest<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${sidecar.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${sidecar.token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
const jobs = async () => (await rest<{ jobs: Job[] }>("GET", "/jobs")).jobs;
const away = (id: string) => rest("PUT", `/devices/${id}/presence`, { source: "ha", online: false });

beforeAll(async () => {
  sidecar = await startSidecar({
    "alpha.yaml": deviceYaml("alpha", "Alpha sensor"),
    "bravo.yaml": deviceYaml("bravo", "Bravo plug"),
    "charlie.yaml": SLEEPER,
  });
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

describe("staged, armed and asleep on the standalone dashboard (real sidecar)", () => {
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
    const flashOf = async () => (await jobs()).find((j) => j.id !== build!.id && j.deviceId === "alpha");
    await expect.poll(async () => (await flashOf())?.state, { timeout: 30_000 }).toBe("succeeded");
    // An upload of the staged image: no second build.
    expect((await flashOf())!.action).toBe("upload");
    // Flashed: the staged build is what runs now, so the row no longer offers it.
    await expect.poll(() => staged.count()).toBe(0);
    expect(await alpha.getByRole("button", { name: "Upload stored firmware to Alpha sensor" }).count()).toBe(1);
  });

  it("shows a deep-sleep device that is away as asleep", async () => {
    await away("charlie");
    await expect.poll(() => row("Charlie sleeper").locator(".online").textContent()).toMatch(/^asleep/);
  });

  it("arms an install on a device that is away, and Cancel in the queue ends the wait", async () => {
    await away("bravo");
    const bravo = row("Bravo plug");
    await expect.poll(() => bravo.locator(".online").textContent()).toMatch(/^offline/);
    const install = bravo.getByRole("button", { name: "Compile and upload Bravo plug" });
    expect(await install.getAttribute("title")).toBe("Compile now, upload over the air when the device is back online");
    await install.click();
    await expect.poll(() => bravo.locator(".status .chip").textContent(), { timeout: 30_000 }).toBe("armed");
    const armed = (await jobs()).find((j) => j.deviceId === "bravo")!;
    expect(armed).toMatchObject({
      action: "compile_upload",
      state: "waiting_for_device",
      params: { whenOnline: true },
    });
    expect(await bravo.locator(".status").textContent()).toMatch(
      /flashes when back online · until \d{4}-\d\d-\d\d \d\d:\d\d/,
    );
    expect(await bravo.locator(".status").getAttribute("title")).toContain(armed.blockedReason!);
    // Its build is what the armed flash holds: no second flash of it; a fresh build stays possible.
    expect(await bravo.getByRole("button", { name: "Upload stored firmware to Bravo plug" }).isDisabled()).toBe(true);
    expect(await bravo.getByRole("button", { name: "Compile and upload Bravo plug" }).isDisabled()).toBe(false);

    await page.getByRole("tab", { name: "Queue" }).click();
    const item = page.getByRole("region", { name: "Queued jobs" }).locator("li").filter({ hasText: "Bravo plug" });
    await expect
      .poll(() => item.locator(".armed-reason").textContent())
      .toMatch(/^Armed · flashes when back online · until /);
    await item.getByRole("button", { name: `Cancel job ${armed.id}` }).click();
    await expect.poll(async () => (await jobs()).find((j) => j.id === armed.id)?.state).toBe("cancelled");
    await expect.poll(() => item.count()).toBe(0);
    await page.getByRole("tab", { name: "Devices" }).click();
    await expect.poll(() => bravo.locator(".status .chip").textContent()).toBe("cancelled");
  });
});
