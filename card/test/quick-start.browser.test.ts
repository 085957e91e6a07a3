// The README's Quick start, as a new user meets it: `npm start` in a fresh copy of the tree (nothing
// built), with a temporary data folder through the documented `-- --data-dir` option, then the
// dashboard at the printed URL in Chromium: the page, not a "not built" notice, and the example
// devices after logging in with the printed admin token.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./support/chromium.ts";
import { cleanCopy } from "./support/clean-copy.ts";

let copy: string;
let dataDir: string;
let proc: ChildProcess;
let out = "";
let browser: Browser;

beforeAll(() => {
  copy = cleanCopy();
  dataDir = mkdtempSync(join(tmpdir(), "forge-quick-start-data-"));
});

/** Whether any process of the group is still there (npm, the start script, sidecar, local worker). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  await browser?.close();
  const pgid = proc?.pid;
  if (pgid && groupAlive(pgid)) {
    process.kill(-pgid, "SIGTERM"); // the sidecar stops its local worker and exits
    const deadline = Date.now() + 15_000;
    while (groupAlive(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (groupAlive(pgid)) process.kill(-pgid, "SIGKILL");
  }
  rmSync(copy, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

describe("Quick start on a fresh clone", () => {
  it("`npm start` builds what it needs and serves the dashboard at its root URL", async () => {
    expect(existsSync(join(copy, "sidecar/dist")), "the copy must start unbuilt").toBe(false);
    expect(existsSync(join(copy, "sidecar/public")), "the copy must start unbuilt").toBe(false);
    // --port 0: a free port, so parallel runs never collide (the README documents --port).
    proc = spawn("npm", ["start", "--", "--data-dir", dataDir, "--port", "0"], {
      cwd: copy,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, FORGE_ZEROCONF: "off" },
    });
    proc.stdout!.on("data", (b: Buffer) => (out += b.toString()));
    proc.stderr!.on("data", (b: Buffer) => (out += b.toString()));
    const { url, token } = await new Promise<{ url: string; token: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start did not print its URL in 240 s:\n${out}`)), 240_000);
      proc.stdout!.on("data", () => {
        const u = /listening on (http:\/\/\S+)/.exec(out);
        // The first start generates the token and prints it that once (README, Quick start).
        const t = /Admin token \(new[^)]*\): (\S+)/.exec(out);
        if (u && t) {
          clearTimeout(timer);
          resolve({ url: u[1]!, token: t[1]! });
        }
      });
      proc.once("exit", (code) => reject(new Error(`npm start exited (${code}):\n${out}`)));
    });

    const root = await fetch(url);
    expect(root.headers.get("content-type")).toMatch(/text\/html/);
    expect(await root.text()).not.toMatch(/not built/);

    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(30_000);
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(url);
    await page.fill("#token", token);
    await page.click("button[type=submit]");
    // The example devices seeded on first start, in the devices table.
    await expect.poll(() => page.locator("forge-device-row").count(), { timeout: 60_000 }).toBeGreaterThan(0);
    expect(await page.getByRole("tab").allTextContents()).toEqual(["Devices", "Queue", "Workers", "Schedules"]);
    expect(problems).toEqual([]);
  }, 360_000);
});
