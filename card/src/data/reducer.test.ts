import { describe, expect, it } from "vitest";
import { makeDevice, makeJob, makeSnapshot, iso } from "../../test/support/fixtures/fleet.js";
import { initialState, MAX_FINISHED_JOBS, pruneJobs, reduce, withStatus } from "./reducer.js";

describe("reducer", () => {
  it("replaces everything on a snapshot and goes live", () => {
    const s = reduce(initialState(), makeSnapshot(3, 5));
    expect(s.status).toBe("live");
    expect(s.loaded).toBe(true);
    expect(s.seq).toBe(5);
    expect([...s.devices.keys()]).toHaveLength(3);
    expect(s.workers.size).toBe(2);
  });

  it("applies deltas after the snapshot and keeps untouched objects identical", () => {
    const s1 = reduce(initialState(), makeSnapshot(3, 5));
    const [a, b] = [...s1.devices.values()];
    const changed = { ...b!, outdated: true };
    const s2 = reduce(s1, { type: "device", seq: 6, op: "upsert", id: b!.id, device: changed });
    expect(s2.devices.get(b!.id)).toBe(changed);
    expect(s2.devices.get(a!.id)).toBe(a);
    expect(s2.jobs).toBe(s1.jobs);
    expect(s2.workers).toBe(s1.workers);
    expect(s2.seq).toBe(6);
  });

  it("ignores deltas already reflected in the snapshot, and deltas before any snapshot", () => {
    const before = reduce(initialState(), { type: "job", seq: 1, op: "upsert", id: 1, job: makeJob(1, "x") });
    expect(before.jobs.size).toBe(0);
    const s1 = reduce(initialState(), makeSnapshot(2, 10));
    const s2 = reduce(s1, { type: "job", seq: 10, op: "upsert", id: 1, job: makeJob(1, "x") });
    expect(s2).toBe(s1);
  });

  it("keeps schedules, alerts and the ESPHome release from the snapshot and their deltas", () => {
    const schedule = {
      id: 4,
      name: "nightly",
      enabled: true,
      target: { kind: "fleet" as const },
      action: "compile_upload" as const,
      onlyOutdated: true,
      when: { cron: "0 3 * * *", timeZone: "UTC" },
      createdAt: iso(0),
      updatedAt: iso(0),
      nextRunAt: iso(1),
      lastRun: null,
    };
    const s1 = reduce(initialState(), { ...makeSnapshot(1, 1), schedules: [schedule] });
    expect(s1.schedules.get(4)).toBe(schedule);
    expect(s1.alerts.size).toBe(0);
    expect(s1.esphomeRelease).toBeNull();
    const paused = { ...schedule, enabled: false, nextRunAt: null };
    const s2 = reduce(s1, { type: "schedule", seq: 2, op: "upsert", id: 4, schedule: paused });
    expect(s2.schedules.get(4)).toBe(paused);
    expect(s2.devices).toBe(s1.devices);
    const alert = {
      id: "builds_failing:x",
      kind: "builds_failing" as const,
      subject: "x",
      since: iso(0),
      message: "m",
      details: {},
    };
    const s3 = reduce(s2, { type: "alert", seq: 3, op: "upsert", id: alert.id, alert });
    expect([...s3.alerts.values()]).toEqual([alert]);
    const release = { version: "2026.12.1", releaseNotesUrl: "u", detectedAt: iso(0), fleetVersion: null };
    const s4 = reduce(s3, { type: "release", seq: 4, release });
    expect(s4.esphomeRelease).toBe(release);
    const s5 = reduce(s4, { type: "schedule", seq: 5, op: "remove", id: 4, schedule: null });
    expect(s5.schedules.size).toBe(0);
    expect(reduce(s5, { type: "alert", seq: 6, op: "remove", id: alert.id, alert: null }).alerts.size).toBe(0);
  });

  it("removes entries", () => {
    const s1 = reduce(initialState(), makeSnapshot(2, 1));
    const id = [...s1.devices.keys()][0]!;
    const s2 = reduce(s1, { type: "device", seq: 2, op: "remove", id, device: null });
    expect(s2.devices.has(id)).toBe(false);
    const s3 = reduce(s2, { type: "worker", seq: 3, op: "remove", id: "local", worker: null });
    expect(s3.workers.has("local")).toBe(false);
    // Removing something unknown changes only the sequence number.
    const s4 = reduce(s3, { type: "worker", seq: 4, op: "remove", id: "nope", worker: null });
    expect(s4.workers).toBe(s3.workers);
  });

  it("resyncs from a fresh snapshot after a reconnect, even when the sidecar restarted (seq back to 0)", () => {
    let s = reduce(initialState(), makeSnapshot(3, 40));
    s = reduce(s, { type: "job", seq: 41, op: "upsert", id: 99, job: makeJob(99, "gone", { state: "running" }) });
    s = withStatus(s, "reconnecting", "lost");
    expect(s.devices.size).toBe(3); // stale data stays visible while reconnecting
    const fresh = makeSnapshot(1, 0);
    s = reduce(s, fresh);
    expect(s.status).toBe("live");
    expect(s.error).toBeNull();
    expect(s.seq).toBe(0);
    expect(s.jobs.has(99)).toBe(false);
    expect(s.devices.size).toBe(1);
    // and deltas after the restarted sidecar's snapshot apply again
    s = reduce(s, { type: "device", seq: 1, op: "upsert", id: "new", device: makeDevice(77, { id: "new" }) });
    expect(s.devices.has("new")).toBe(true);
  });

  it("caps finished jobs but never drops active ones", () => {
    const jobs = new Map<number, ReturnType<typeof makeJob>>();
    for (let i = 1; i <= MAX_FINISHED_JOBS + 10; i++)
      jobs.set(i, makeJob(i, "d", { state: "succeeded", finishedAt: iso(i * 1000) }));
    jobs.set(10_000, makeJob(10_000, "d", { state: "running" }));
    const pruned = pruneJobs(jobs);
    expect(pruned.size).toBe(MAX_FINISHED_JOBS + 1);
    expect(pruned.has(10_000)).toBe(true);
    expect(pruned.has(1)).toBe(false); // the oldest went first
    expect(pruned.has(MAX_FINISHED_JOBS + 10)).toBe(true);
  });

  it("withStatus returns the same object when nothing changes", () => {
    const s = initialState();
    expect(withStatus(s, "connecting")).toBe(s);
    expect(withStatus(s, "error", "x").error).toBe("x");
  });

  it("remembers since when the connection was lost, through reconnect attempts, until live again", () => {
    const at = (iso: string) => () => new Date(iso);
    let s = reduce(initialState(), makeSnapshot(2, 3));
    expect(s.since).toBeNull();
    s = withStatus(s, "reconnecting", "lost", null, at("2026-11-02T10:00:00Z"));
    expect(s.since).toBe("2026-11-02T10:00:00.000Z");
    s = withStatus(s, "connecting", null, null, at("2026-11-02T10:05:00Z"));
    s = withStatus(s, "reconnecting", "still lost", null, at("2026-11-02T10:06:00Z"));
    expect(s.since).toBe("2026-11-02T10:00:00.000Z");
    // The backend knows better (HA reports when IT lost the sidecar).
    s = withStatus(s, "unreachable", "refused", "2026-11-02T09:58:00Z");
    expect(s.since).toBe("2026-11-02T09:58:00Z");
    expect(reduce(s, makeSnapshot(2, 9)).since).toBeNull();
    expect(withStatus(s, "live").since).toBeNull();
  });
});
