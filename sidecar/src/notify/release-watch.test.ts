import { describe, expect, it } from "vitest";
import type { EsphomeRelease } from "@esphome-forge/shared";
import { queueFixture } from "../../test-support/queue-fixture.js";
import { ReleaseWatch } from "./release-watch.js";

function fixture(defaultEsphomeVersion: string | null) {
  const f = queueFixture({ defaultEsphomeVersion });
  let newest = "2026.10.0";
  const changes: [EsphomeRelease | null, boolean][] = [];
  const watch = new ReleaseWatch({
    db: f.db,
    clock: f.clock,
    settings: () => f.settings,
    newest: () => Promise.resolve(newest),
    log: () => undefined,
    onChange: (r, isNew) => changes.push([r, isNew]),
  });
  return { f, watch, changes, publish: (v: string) => (newest = v) };
}

describe("ESPHome release watch", () => {
  it("without a fleet default, the first answer is the baseline; only later releases are news", async () => {
    const t = fixture(null);
    expect(await t.watch.check()).toBeNull();
    expect(t.changes).toEqual([]);
    t.publish("2026.11.1");
    const r = await t.watch.check();
    expect(r).toMatchObject({
      version: "2026.11.1",
      releaseNotesUrl: "https://esphome.io/changelog/2026.11.0.html",
      fleetVersion: null,
    });
    expect(t.changes).toEqual([[r, true]]);
    expect(await t.watch.check()).toEqual(r); // the same again: no news
    expect(t.changes).toHaveLength(1);
  });

  it("compares with the fleet default; reaching the release clears it", async () => {
    const t = fixture("2026.9.3");
    expect((await t.watch.check())?.version).toBe("2026.10.0");
    t.f.set({ defaultEsphomeVersion: "2026.10.0" });
    t.watch.settingsChanged();
    expect(t.watch.current()).toBeNull();
    expect(t.changes.at(-1)).toEqual([null, false]);
  });
});
