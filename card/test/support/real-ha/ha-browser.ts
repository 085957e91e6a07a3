// Chromium against the real HA frontend: a person's login through HA's own login page (once per
// file; "keep me logged in" stores the tokens in local storage), then fresh browser contexts that
// start from that storage state, so each dashboard load has an empty cache like a new visitor's.
import type { Browser, BrowserContext, BrowserContextOptions, Page } from "playwright-core";
import type { HomeAssistant } from "./ha-process.ts";

export type StorageState = Exclude<BrowserContextOptions["storageState"], string | undefined>;

export interface Visit {
  context: BrowserContext;
  page: Page;
  /** Page errors and console errors seen so far. */
  problems: string[];
  close(): Promise<void>;
}

export async function newVisit(browser: Browser, options: BrowserContextOptions = {}): Promise<Visit> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  return { context, page, problems, close: () => context.close() };
}

/** Logs in through HA's login page and returns the browser storage that keeps the session. */
export async function logIn(
  browser: Browser,
  ha: HomeAssistant,
  user: { username: string; password: string },
): Promise<StorageState> {
  const visit = await newVisit(browser);
  try {
    const { page } = visit;
    await page.goto(`${ha.url}/`);
    await page.getByRole("textbox", { name: "Username" }).fill(user.username);
    await page.getByRole("textbox", { name: "Password" }).fill(user.password);
    await page.getByRole("button", { name: "Log in" }).click();
    // The frontend stores the tokens once it has them ("keep me logged in" is on by default).
    await page.waitForFunction(() => !!localStorage.getItem("hassTokens"), undefined, { timeout: 30_000 });
    return await visit.context.storageState();
  } finally {
    await visit.close();
  }
}

/**
 * Where a dashboard load ended: the card rendered its device rows, or HA's error card replaced it
 * (HA shows that one only after giving a custom element 2 s to appear), or neither in time.
 */
export async function cardOutcome(page: Page, timeoutMs = 30_000): Promise<"card" | "error" | "timeout"> {
  const card = page.locator("esphome-forge-card forge-device-row").first();
  const error = page.locator("hui-error-card").first();
  try {
    return await Promise.race([
      card.waitFor({ state: "visible", timeout: timeoutMs }).then(() => "card" as const),
      error.waitFor({ state: "visible", timeout: timeoutMs }).then(() => "error" as const),
    ]);
  } catch {
    return "timeout";
  }
}
