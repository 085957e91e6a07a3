// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { makeSnapshot, makeWorker } from "../../test/support/fixtures/fleet.js";
import { FakeSource } from "../../test/support/fixtures/fake-source.js";
import type { ForgeDashboard } from "./forge-dashboard.js";
import "./forge-dashboard.js";
import type { ForgeWorkersView } from "./workers-view.js";

describe("workers view", () => {
  it("shows a worker waiting for approval with its key fingerprint, and how to approve it", async () => {
    const source = new FakeSource();
    const snap = makeSnapshot(1, 1);
    const fp = "0123456789abcdef".repeat(4);
    snap.workers = [
      makeWorker("local"),
      makeWorker("garage", {
        local: false,
        online: false,
        enrolment: "pending",
        keyFingerprint: fp,
        pendingKey: { fingerprint: fp, kind: "enrol", requestedAt: new Date().toISOString() },
      }),
      makeWorker("stolen", { local: false, online: false, enrolment: "revoked" }),
    ];
    source.push(snap);
    const el = document.createElement("forge-dashboard") as ForgeDashboard;
    el.source = source;
    document.body.append(el);
    await el.updateComplete;
    el.tab = "workers";
    await el.updateComplete;
    const view = el.shadowRoot!.querySelector("forge-workers-view") as ForgeWorkersView | null;
    await view?.updateComplete;
    const text = view?.shadowRoot?.textContent ?? "";
    expect(text).toContain("waits for approval");
    expect(text).toContain("0123 4567 89ab cdef 0123");
    expect(text).toContain("esphome-forge workers approve garage");
    expect(text).toContain("revoked");
    el.remove();
  });

  it("lets an admin approve exactly the fingerprint shown, or reject; a view-only user gets no buttons", async () => {
    const fp = "fedcba9876543210".repeat(4);
    const calls: string[] = [];
    const source = Object.assign(new FakeSource(), {
      enrolment: {
        approve: async (id: string, f: string) => void calls.push(`approve ${id} ${f}`),
        reject: async (id: string) => void calls.push(`reject ${id}`),
      },
    });
    const snap = makeSnapshot(1, 1);
    snap.workers = [
      makeWorker("shed", {
        local: false,
        online: false,
        enrolment: "pending",
        keyFingerprint: fp,
        pendingKey: { fingerprint: fp, kind: "enrol", requestedAt: new Date().toISOString() },
      }),
    ];
    source.push(snap);
    const el = document.createElement("forge-dashboard") as ForgeDashboard;
    el.source = source;
    document.body.append(el);
    await el.updateComplete;
    el.tab = "workers";
    await el.updateComplete;
    const view = () => el.shadowRoot!.querySelector("forge-workers-view") as ForgeWorkersView;
    await view().updateComplete;
    const button = (label: string) =>
      view().shadowRoot!.querySelector<HTMLButtonElement>(`button[aria-label="${label}"]`);
    button("Approve the key of shed")!.click();
    // The buttons are disabled while a decision is on its way; they come back once it is answered.
    await new Promise((r) => setTimeout(r));
    await view().updateComplete;
    expect(button("Reject the key of shed")!.disabled).toBe(false);
    button("Reject the key of shed")!.click();
    await view().updateComplete;
    expect(calls).toEqual([`approve shed ${fp}`, "reject shed"]);

    el.readOnly = "only administrators decide";
    await el.updateComplete;
    await view().updateComplete;
    expect(button("Approve the key of shed")).toBeNull();
    el.remove();
  });
});
