// The standalone dashboard in Home Assistant's sidebar, as ingress serves it: a real Chromium opens
// /api/hassio_ingress/<token>/ on a path-rewriting proxy written for this test (HA core plus the
// Supervisor in one), which forwards to a REAL sidecar's ingress listener from the proxy address.
// No token login: HA's user is signed in; every asset, API call and the events socket stay under
// the ingress prefix; a build started from the page streams back through the proxy.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./support/chromium.ts";
import { startIngressProxy, type IngressProxy } from "./support/ingress-proxy.ts";
import { deviceYaml, startSidecar, type RunningSidecar } from "./support/sidecar.ts";

const PROXY_ADDRESS = "127.0.0.2";
let sidecar: RunningSidecar;
let proxy: IngressProxy;
let browser: Browser;
let page: Page;
const requested: string[] = [];
const sockets: string[] = [];
const problems: string[] = [];

const row = (name: string) => page.locator("forge-device-row").filter({ hasText: name });

beforeAll(async () => {
  sidecar = await startSidecar(
    {
      "alpha.yaml": deviceYaml("alpha", "Alpha sensor", { knobs: "sleep-ms=1500" }),
      "bravo.yaml": deviceYaml("bravo", "Bravo plug", { platform: "esp8266" }),
    },
    { ingressSource: PROXY_ADDRESS },
  );
  proxy = await startIngressProxy({
    target: sidecar.ingressUrl!,
    sourceAddress: PROXY_ADDRESS,
    token: "hA9sKw2_ingress-Session-0123",
    user: { id: "8f2c1a0b9d7e4f60a1b2c3d4e5f60718", name: "ada", displayName: "Ada Lovelace" },
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(15_000);
  page.on("request", (r) => requested.push(r.url()));
  page.on("websocket", (ws) => sockets.push(ws.url()));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" || /Content Security Policy/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });
});

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await sidecar?.stop();
});

describe("dashboard under Home Assistant's ingress", () => {
  it("opens signed in as the HA user, with no token prompt", async () => {
    await page.goto(proxy.panelUrl);
    await expect.poll(() => page.locator("forge-device-row").count()).toBe(2);
    expect(await page.locator("#token").count()).toBe(0);
    expect(await page.getByText("Signed in through Home Assistant as Ada Lovelace").count()).toBe(1);
    expect(await page.getByRole("button", { name: "Sign out" }).count()).toBe(0);
    // Nothing about this session is kept in the browser.
    expect(await page.evaluate(() => sessionStorage.getItem("esphome-forge.token"))).toBeNull();
  });

  it("keeps every asset, API call and the events socket under the ingress prefix", () => {
    const origin = new URL(proxy.panelUrl).origin;
    expect(requested.length).toBeGreaterThan(3);
    for (const url of requested) expect(url.startsWith(`${origin}${proxy.prefix}/`), url).toBe(true);
    expect(sockets).toEqual([`ws://127.0.0.1:${new URL(proxy.panelUrl).port}${proxy.prefix}/api/v1/events`]);
    // …and the sidecar saw them without it: the proxy strips the prefix.
    expect(proxy.forwarded).toContain("/api/v1/session");
    expect(proxy.forwarded).toContain("/api/v1/events");
    expect(proxy.forwarded.some((p) => p.startsWith("/assets/"))).toBe(true);
  });

  it("compiles from a row and follows the build live through the proxy", async () => {
    await row("Alpha sensor").getByRole("button", { name: "Compile Alpha sensor" }).click();
    const status = () => row("Alpha sensor").locator(".status").textContent();
    await expect.poll(status).toMatch(/queued|prepare|validate|compile|%/);
    await expect.poll(status, { timeout: 30_000 }).toContain("succeeded");
    const jobs = (await (
      await fetch(`${sidecar.url}/api/v1/jobs?device=alpha`, { headers: { authorization: `Bearer ${sidecar.token}` } })
    ).json()) as { jobs: { source: string }[] };
    expect(jobs.jobs[0]?.source).toBe("ha-ingress");
    expect(problems).toEqual([]);
  });
});
