// waiting_for_device in the queue (flash-steps.ts) on a real SQLite queue with a manual clock; the
// judge stands in for presence (fleet/device-wait.ts has its own tests).
import { describe, expect, it } from "vitest";
import { Job, type FirmwareImage } from "@esphome-forge/shared";
import { queueFixture, req, type QueueFixture } from "../../test-support/queue-fixture.js";
import type { WaitJudge } from "./job-queue.js";

const SHA = "c".repeat(64);
const SHA2 = "d".repeat(64);
const image = (sha = SHA): FirmwareImage => ({ name: "firmware.ota.bin", sha256: sha, size: 4096, kind: "ota" });
const HOUR = 3_600_000;

/** A queue whose judge says "away" for the devices in `away` (the reason names the device). */
function fixture() {
  const f = queueFixture();
  const away = new Set<string>();
  const asked: Parameters<WaitJudge>[2][] = [];
  f.queue.waits.useJudge((id, _params, cause, until) => {
    asked.push(cause);
    return away.has(id) ? `${id} is offline; flashed when it is back, until ${new Date(until).toISOString()}` : null;
  });
  return { f, away, asked };
}

/** A compile_upload whose build was approved: returns the job after the hand-over to the flash step. */
function built(f: QueueFixture, device: string, sha = SHA): Job {
  const { job } = f.queue.enqueue(req(device, "compile_upload"));
  const a = f.queue.assign(job.id, "builder", "test")!;
  return f.queue.toFlashStep(job.id, a.holder, { firmware: [image(sha)], esphomeVersion: "2026.10.0" }, sha)!;
}

/** Assigns a queued flash step to the flasher and reports its OTA failed with `error`. */
function failFlash(f: QueueFixture, id: number, error = "Connecting to 10.0.0.5 port 3232 failed: timed out") {
  const a = f.queue.assign(id, "flasher", "test")!;
  f.queue.setPhase(id, a.holder, "upload");
  return { a, waiting: f.queue.waits.afterFailedFlash(id, a.holder, error) };
}

describe("waiting_for_device", () => {
  it("an approved build for an away device waits with its reason and end, is never dispatched, and is queued when it is back", () => {
    const { f, away } = fixture();
    away.add("kitchen");
    const job = Job.parse(built(f, "kitchen"));
    expect(job).toMatchObject({ state: "waiting_for_device", step: "flash", flashSha256: SHA, attempts: 0 });
    expect(job.blockedReason).toMatch(/^kitchen is offline; flashed when it is back, until /);
    expect(Date.parse(job.waitingUntil!)).toBe(f.clock.now() + 168 * HOUR);
    expect(f.queue.queued()).toEqual([]);
    expect(f.queue.assign(job.id, "flasher", "test")).toBeUndefined();
    expect(f.queue.active().map((j) => j.id)).toEqual([job.id]);
    expect(f.queue.waits.devices()).toEqual(["kitchen"]);

    f.clock.advance(HOUR);
    const back = f.queue.waits.deviceOnline("kitchen");
    expect(back.map((j) => j.id)).toEqual([job.id]);
    expect(back[0]).toMatchObject({ state: "queued", blockedReason: null, waitingUntil: null });
    expect(f.queue.waits.deviceOnline("kitchen")).toEqual([]); // nothing waits any more
    const a = f.queue.assign(job.id, "flasher", "test")!;
    expect(a.job).toMatchObject({ state: "running", attempts: 1 });
    // The hour it waited is not part of its duration.
    expect(Date.parse(a.job.startedAt!)).toBe(Date.parse(job.startedAt!) + HOUR);
  });

  it("an online device's flash is queued at once; without a judge nothing ever waits", () => {
    const { f } = fixture();
    expect(built(f, "porch").state).toBe("queued");
    const plain = queueFixture();
    expect(built(plain, "porch").state).toBe("queued");
  });

  it("an upload for an away device waits; a repeat coalesces into it and ends the wait once the device is back", () => {
    const { f, away } = fixture();
    away.add("kitchen");
    const first = f.queue.enqueue(req("kitchen", "upload"));
    expect(first.job.state).toBe("waiting_for_device");
    const until = first.job.waitingUntil;
    f.clock.advance(1000);
    const again = f.queue.enqueue(req("kitchen", "upload", "interactive", { params: { whenOnline: true } }));
    // One waiting job, its deadline kept (a repeat does not extend it).
    expect(again).toMatchObject({ coalesced: true, job: { id: first.job.id, state: "waiting_for_device" } });
    expect(again.job.waitingUntil).toBe(until);
    away.delete("kitchen");
    const third = f.queue.enqueue(req("kitchen", "upload"));
    expect(third).toMatchObject({ coalesced: true, job: { id: first.job.id, state: "queued", blockedReason: null } });
  });

  it("a flash that could not reach an away device waits without using an attempt; its flash fence is kept", () => {
    const { f, away, asked } = fixture();
    const job = built(f, "kitchen");
    away.add("kitchen");
    const { a, waiting } = failFlash(f, job.id);
    expect(asked.at(-1)).toEqual({ kind: "unreachable", error: expect.stringContaining("timed out") });
    expect(waiting).toMatchObject({ state: "waiting_for_device", attempts: 0, workerId: null, flashSha256: SHA });
    expect(f.queue.fenceOf(job.id)).toBe(a.fence); // the flash ledger closes that attempt as failed
    expect(f.queue.holds(job.id, a.holder)).toBe(false);
    expect(f.queue.readLog(job.id).text).toContain("not counted as an attempt");
    // A failure the judge does not excuse stands: the caller completes the job as failed.
    away.delete("kitchen");
    f.queue.waits.deviceOnline("kitchen");
    expect(failFlash(f, job.id).waiting).toBeUndefined();
    expect(f.queue.get(job.id)!.state).toBe("running");
  });

  it("a failed flash does not wait while another flash of the device already waits (a retry queued meanwhile)", () => {
    const { f, away } = fixture();
    const first = built(f, "kitchen");
    const { a } = failFlash(f, first.id, "Error: not enough space"); // the judge says online: it stands
    f.queue.complete(first.id, a.holder, {
      outcome: "failed",
      phase: "upload",
      error: "x",
      firmware: [],
      esphomeVersion: null,
    });
    const second = built(f, "kitchen", SHA2);
    const running = f.queue.assign(second.id, "flasher", "test")!;
    const retry = f.queue.retry(first.id, "test"); // a re-flash of the first image, queued while the second runs
    expect(retry.job.state).toBe("queued");
    away.add("kitchen");
    expect(f.queue.waits.afterFailedFlash(second.id, running.holder, "timed out")).toBeUndefined();
  });

  it("a wait past its end fails with the reason, the build kept; a retry flashes the same image (and waits if away)", () => {
    const { f, away } = fixture();
    f.set({ deviceWaitHours: 0.5 });
    away.add("kitchen");
    const job = built(f, "kitchen");
    f.clock.advance(HOUR / 2 - 1);
    expect(f.queue.waits.expire()).toEqual([]);
    f.clock.advance(1);
    const [failed] = f.queue.waits.expire();
    expect(failed).toMatchObject({ id: job.id, state: "failed", phase: "upload", flashSha256: SHA });
    expect(failed!.error).toMatch(/did not come online before the wait ended .* approved build is kept/);
    expect(failed!.firmware.map((i) => i.sha256)).toEqual([SHA]);
    expect(f.queue.lastApprovedBuild("kitchen")?.id).toBe(job.id); // still the staged firmware

    const retry = f.queue.retry(job.id, "test");
    expect(retry.job).toMatchObject({ state: "waiting_for_device", step: "flash", flashSha256: SHA });
    away.delete("kitchen");
    expect(f.queue.waits.deviceOnline("kitchen")[0]).toMatchObject({ id: retry.job.id, state: "queued" });
  });

  it("cancel while waiting ends it at once, as does removing the device", () => {
    const { f, away } = fixture();
    away.add("kitchen").add("porch");
    const job = built(f, "kitchen");
    expect(f.queue.requestCancel(job.id, "not now")).toMatchObject({ state: "cancelled", error: "not now" });
    expect(f.queue.readLog(job.id).text).toContain("cancelled while waiting for the device: not now");
    const porch = built(f, "porch");
    expect(f.queue.cancelAllForDevice("porch").map((j) => [j.id, j.state])).toEqual([[porch.id, "cancelled"]]);
  });

  it("a newer approved build supersedes the older flash still waiting for the device", () => {
    const { f, away } = fixture();
    away.add("kitchen");
    const older = built(f, "kitchen");
    const newer = built(f, "kitchen", SHA2);
    expect(f.queue.get(older.id)).toMatchObject({
      state: "cancelled",
      error: expect.stringContaining(`job ${newer.id}`),
    });
    expect(newer).toMatchObject({ state: "waiting_for_device", flashSha256: SHA2 });
  });

  it("survives a restart: the waiting job, its reason and end are in SQLite", () => {
    const { f, away } = fixture();
    away.add("kitchen");
    const job = built(f, "kitchen");
    f.reopen();
    expect(f.queue.get(job.id)).toMatchObject({
      state: "waiting_for_device",
      blockedReason: job.blockedReason,
      waitingUntil: job.waitingUntil,
    });
    expect(f.queue.waits.devices()).toEqual(["kitchen"]);
    expect(f.queue.waits.deviceOnline("kitchen")[0]?.state).toBe("queued");
  });
});
