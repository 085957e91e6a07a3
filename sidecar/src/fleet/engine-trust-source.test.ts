import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { TrustChange } from "../trust/index.js";
import { generateSigningKey } from "../trust/keys/keys.js";
import { approvedBuild, openHarness, type Harness } from "../../test-support/trust-fixtures.js";
import { EngineTrustSource } from "./engine-trust-source.js";

let h: Harness;
beforeEach(() => {
  h = openHarness();
});
afterEach(() => h.close());

describe("EngineTrustSource", () => {
  it("keeps a device's verdicts until its firmware changes or a trust change reaches them", async () => {
    const { fw } = await approvedBuild(h);
    const sha = fw.subjects[0]!.sha256;
    const changes: TrustChange[] = [];
    h.engine.onTrustChange((c) => changes.push(c));
    const source = new EngineTrustSource(h.engine);
    const evaluate = vi.spyOn(h.engine, "evaluate");

    expect(source.verdicts("kitchen", sha, { cachedOnly: true })).toBeNull();
    expect(source.verdicts("kitchen", sha)?.pending).toMatchObject({ state: "verified", firmwareSha256: sha });
    expect(source.verdicts("kitchen", sha, { cachedOnly: true })?.pending.state).toBe("verified");
    expect(evaluate).toHaveBeenCalledTimes(1); // nothing runs on it yet: only the pending firmware is evaluated

    // A worker key enrolled for the first time reaches only verdicts that lacked a known signer.
    h.engine.enrolWorkerKey("newcomer", generateSigningKey().publicPem);
    expect(changes.at(-1)).toMatchObject({ type: "keys", event: "key_enrolled", affects: "unknown_signer" });
    expect(source.invalidate(changes.at(-1)!)).toEqual([]);
    source.verdicts("kitchen", sha);
    expect(evaluate).toHaveBeenCalledTimes(1);

    // An attestation for this firmware reaches this device; one for another firmware does not.
    expect(source.invalidate({ type: "attestation", firmwareSha256: "f".repeat(64), affects: "firmware" })).toEqual([]);
    expect(source.invalidate({ type: "attestation", firmwareSha256: sha, affects: "firmware" })).toEqual(["kitchen"]);
    source.verdicts("kitchen", sha);
    expect(evaluate).toHaveBeenCalledTimes(2);

    // A revocation reaches every device; a new build is evaluated as soon as it is asked about.
    await h.engine.revoke([{ kind: "artifact", sha256: sha, reason: "bad build" }], 86_400_000);
    expect(source.invalidate(changes.at(-1)!)).toBe("all");
    expect(source.verdicts("kitchen", sha, { cachedOnly: true })).toBeNull();
    expect(source.verdicts("kitchen", sha)?.pending.state).toBe("revoked");
    const next = await approvedBuild(h);
    expect(source.verdicts("kitchen", next.fw.subjects[0]!.sha256)?.pending.state).toBe("verified");
  });

  it("a new build re-evaluates only the pending firmware; a flash only the running one", async () => {
    const first = await approvedBuild(h);
    const running = first.fw.subjects[0]!.sha256;
    h.engine.sequences.recordInstalled("kitchen", running, 1);
    const source = new EngineTrustSource(h.engine);
    const evaluate = vi.spyOn(h.engine, "evaluate");
    const asked = () => evaluate.mock.calls.map((c) => (c[1] as { sha256: string }).sha256);

    source.verdicts("kitchen", running);
    expect(asked()).toEqual([running, running]); // both halves, once each

    const next = (await approvedBuild(h)).fw.subjects[0]!.sha256;
    evaluate.mockClear();
    expect(source.verdicts("kitchen", next)).toMatchObject({
      pending: { state: "verified", firmwareSha256: next },
      running: { state: "verified", firmwareSha256: running },
    });
    expect(asked()).toEqual([next]);

    h.engine.sequences.recordInstalled("kitchen", next, 2);
    evaluate.mockClear();
    expect(source.verdicts("kitchen", next)?.running.firmwareSha256).toBe(next);
    expect(asked()).toEqual([next]);
  });

  it("re-evaluates a verdict that lacked a signer once a key is enrolled", async () => {
    const { fw } = await approvedBuild(h, { workerId: "w-unknown" });
    const sha = fw.subjects[0]!.sha256;
    const source = new EngineTrustSource(h.engine);
    // The worker's key is removed from the table: its build now has no known signer.
    h.db.prepare("DELETE FROM trust_keys WHERE owner = 'w-unknown'").run();
    h.engine.enrolWorkerKey("someone-else", generateSigningKey().publicPem); // refreshes the key snapshot
    const before = source.verdicts("kitchen", sha)!.pending;
    expect(before.state).toBe("unknown_signer");
    const changes: TrustChange[] = [];
    h.engine.onTrustChange((c) => changes.push(c));
    h.engine.enrolWorkerKey("another", generateSigningKey().publicPem);
    expect(source.invalidate(changes[0]!)).toEqual(["kitchen"]);
  });
});
