import { describe, expect, it } from "vitest";
import type { Device, Job, NoticeEvent } from "@esphome-forge/shared";
import { ManualClock } from "../util/clock.js";
import { Notifier } from "./notifier.js";

function fixture() {
  const sent: [NoticeEvent, Record<string, unknown>][] = [];
  const clock = new ManualClock(Date.parse("2026-05-04T10:00:00Z"));
  const n = new Notifier({ notify: (e, d) => (sent.push([e, d]), "id") }, clock);
  return { n, sent };
}

const device = (online: boolean | undefined) =>
  ({ id: "porch", name: "porch", friendlyName: "Porch", online }) as unknown as Device;

describe("notifier", () => {
  it("posts a device going offline and coming back, not its first sighting, and nothing without presence", () => {
    const t = fixture();
    t.n.device("porch", device(true));
    t.n.device("porch", device(true));
    t.n.device("porch", device(false));
    t.n.device("porch", device(true));
    t.n.device("porch", device(undefined));
    expect(t.sent).toEqual([
      ["device_offline", { deviceId: "porch", name: "Porch" }],
      ["device_online", { deviceId: "porch", name: "Porch" }],
    ]);
  });

  it("knows the devices' presence at start: the first change after a restart is news", () => {
    const t = fixture();
    t.n.knownDevices([device(true), { ...device(undefined), id: "shed" }]);
    t.n.device("porch", device(false));
    t.n.device("shed", { ...device(false), id: "shed" });
    expect(t.sent).toEqual([["device_offline", { deviceId: "porch", name: "Porch" }]]);
  });

  it("posts a finished job once, and not one that finished before the sidecar started", () => {
    const t = fixture();
    const job = {
      id: 7,
      deviceId: "porch",
      action: "compile",
      state: "succeeded",
      source: "api",
      error: null,
      durationMs: 5,
      workerId: "w",
      esphomeVersion: "2026.10.0",
      firmware: [],
      finishedAt: "2026-05-04T10:00:01Z",
    } as unknown as Job;
    t.n.job({ ...job, state: "running", finishedAt: null });
    t.n.job(job);
    t.n.job(job); // announced again (an annotation changed): not news
    t.n.job({ ...job, id: 6, finishedAt: "2026-05-04T09:00:00Z" });
    expect(t.sent.map(([e, d]) => [e, d.jobId])).toEqual([["job_finished", 7]]);
  });
});
