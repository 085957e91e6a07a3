// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import type { TrustStatus } from "@esphome-forge/shared";
import type { TrustStatusSource } from "../data/types.js";
import type { ForgeTrustStatus } from "./trust-status.js";
import "./trust-status.js";

type Update = Parameters<Parameters<TrustStatusSource["subscribe"]>[0]>[0];

class FakeFeed implements TrustStatusSource {
  listeners = new Set<(u: Update) => void>();
  subscribe(fn: (u: Update) => void) {
    this.listeners.add(fn);
    fn({ status: null, error: null });
    return () => void this.listeners.delete(fn);
  }
  push(u: Update) {
    for (const fn of this.listeners) fn(u);
  }
}

const status = (ok: boolean): TrustStatus => ({
  policy: "enforce",
  revocations: null,
  revocationError: null,
  log: {
    size: 9,
    audit: {
      ok,
      checkedAt: "2026-11-23T11:00:00Z",
      treeSize: 9,
      checkpointsChecked: 1,
      problems: ok ? [] : ["log row 3 was edited"],
    },
  },
  keys: { active: 3, retired: 0, revoked: 0 },
});

describe("trust status line", () => {
  it("shows nothing until the status arrives, then the line; a failed log check becomes an alert; unsubscribes when removed", async () => {
    const feed = new FakeFeed();
    const el = document.createElement("forge-trust-status") as ForgeTrustStatus;
    el.feed = feed;
    document.body.append(el);
    await el.updateComplete;
    const root = el.shadowRoot!;
    expect(root.textContent?.trim()).toBe("");

    feed.push({ status: status(true), error: null });
    await el.updateComplete;
    expect([...root.querySelectorAll('[role="group"] .chip')].map((c) => c.textContent)).toEqual([
      "policy enforce",
      "no revocation list",
      "log check ok",
    ]);
    expect(root.querySelector('[role="alert"]')).toBeNull();

    feed.push({ status: status(false), error: null });
    await el.updateComplete;
    expect(root.querySelector(".chip.tone-bad")?.textContent).toBe("log check FAILED");
    expect(root.querySelector('[role="alert"]')?.textContent).toMatch(
      /Transparency log check FAILED .*log row 3 was edited/,
    );

    feed.push({ status: status(false), error: "HTTP 502" });
    await el.updateComplete;
    expect(root.textContent).toContain("(not refreshed)");

    el.remove();
    expect(feed.listeners.size).toBe(0);
  });
});
