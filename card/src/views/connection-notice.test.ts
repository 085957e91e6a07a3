import { describe, expect, it } from "vitest";
import { connectionNotice } from "./connection-notice.js";

const NOW = Date.parse("2026-11-02T10:05:00Z");
const lost = new Date(NOW - 5 * 60_000).toISOString();
const clock = (iso: string) => {
  const d = new Date(iso);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
};

describe("connection notice", () => {
  it("says nothing and pauses nothing while live", () => {
    expect(connectionNotice({ status: "live", error: null, since: null, loaded: true }, "ha", NOW)).toBeNull();
  });

  it("names the sidecar outage HA reports, since when, and pauses actions", () => {
    const n = connectionNotice(
      { status: "unreachable", error: "Connection refused", since: lost, loaded: true },
      "ha",
      NOW,
    )!;
    expect(n.title).toBe(`Forge sidecar unreachable since ${clock(lost)} (5 min ago)`);
    expect(n.detail).toMatch(/^Showing the last known state; Home Assistant keeps trying/);
    expect(n.cause).toBe("Connection refused");
    expect(n.paused).toMatch(/cannot reach the Forge sidecar/);
  });

  it("tells a lost connection to HA from a lost sidecar (standalone page), through reconnect attempts", () => {
    const ha = connectionNotice({ status: "reconnecting", error: null, since: lost, loaded: true }, "ha", NOW)!;
    expect(ha.title).toMatch(/^Connection to Home Assistant lost since/);
    const page = connectionNotice({ status: "connecting", error: null, since: lost, loaded: true }, "direct", NOW)!;
    expect(page.title).toMatch(/^Forge sidecar unreachable since/);
    expect(page.paused).toBeTruthy();
    // The very first connect is no outage.
    const first = connectionNotice({ status: "connecting", error: null, since: null, loaded: false }, "direct", NOW)!;
    expect(first).toMatchObject({ title: "Connecting…", paused: null });
  });
});
