// Presence cost: what one mDNS answer costs the sidecar, through the real cache, matcher, tracker
// and SQLite store (500 devices answering; each answer new: a full pass), and what a flood of
// identical answers costs (the repeat path). In process; no network.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Answer } from "dns-packet";
import { openDatabase } from "../db/database.js";
import type { InventoryDevice } from "../inventory/inventory-device.js";
import { MdnsCache } from "../presence/mdns-cache.js";
import { PresenceStore } from "../presence/presence-store.js";
import { PresenceTracker } from "../presence/presence-tracker.js";
import { ManualClock } from "../util/clock.js";
import { median, type BenchRow } from "./stats.js";

const DEVICES = 500;
const S = "_esphomelib._tcp.local";
/** A full pass per answer, per device: 500 devices answering once a minute is 8 answers a second. */
export const PRESENCE_ANSWER_TARGET_US = 500;

function answer(name: string, round: number): Answer[] {
  const txt = [`version=2026.10.${round % 3}`, `mac=02000000${name.slice(1).padStart(4, "0")}`, "config_hash=0000000a"];
  return [
    { name: S, type: "PTR", ttl: 120, data: `${name}.${S}` },
    { name: `${name}.${S}`, type: "SRV", ttl: 120, data: { target: `${name}.local`, port: 6053 } },
    { name: `${name}.${S}`, type: "TXT", ttl: 120, data: txt.map((t) => Buffer.from(t)) },
    { name: `${name}.local`, type: "A", ttl: 120, data: "192.168.1.20" },
  ];
}

export async function benchPresence(): Promise<{ rows: BenchRow[] }> {
  const dir = mkdtempSync(join(tmpdir(), "forge-bench-presence-"));
  const db = openDatabase(join(dir, "forge.db"));
  try {
    const devices = Array.from(
      { length: DEVICES },
      (_, i) => ({ id: `d${i}`, name: `d${i}`, mac: null }) as InventoryDevice,
    );
    const byId = new Map(devices.map((d) => [d.id, d]));
    const clock = new ManualClock();
    const tracker = new PresenceTracker({
      clock,
      offlineAfterMs: () => 180_000,
      devices: () => devices,
      device: (id) => byId.get(id),
      lastFlash: () => ({ jobId: 1, finishedAt: 0, esphomeVersion: "2026.10.0", projectVersion: null }),
      store: new PresenceStore(db),
    });
    const cache = new MdnsCache();
    const take = (name: string, round: number) => {
      const effect = cache.apply({ answers: answer(name, round) });
      for (const instance of effect.alive) tracker.mdnsSeen(cache.get(instance, effect.withTxt.has(instance))!);
    };
    const full: number[] = [];
    for (let round = 0; round < 10; round++) {
      clock.advance(60_000);
      for (const d of devices) {
        const t0 = performance.now();
        take(d.name!, round);
        full.push((performance.now() - t0) * 1000);
      }
    }
    const repeat: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const t0 = performance.now();
      take("d7", 9);
      repeat.push((performance.now() - t0) * 1000);
    }
    const fullUs = median(full);
    return {
      rows: [
        {
          metric: `mDNS answer, full pass (${DEVICES} devices), median`,
          value: fullUs,
          unit: "µs",
          target: `< ${PRESENCE_ANSWER_TARGET_US} µs`,
          pass: fullUs < PRESENCE_ANSWER_TARGET_US,
        },
        { metric: "mDNS answer, identical repeat (flood), median", value: median(repeat), unit: "µs" },
      ],
    };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
