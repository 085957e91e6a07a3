import { describe, expect, it } from "vitest";
import type { JobTrust, TrustStatus } from "@esphome-forge/shared";
import { verdict } from "../../test/support/fixtures/fleet.js";
import { blockedText, describeJobTrust, jobTrustBadge } from "./trust.js";
import { trustStatusLine } from "./trust-status-line.js";

const jt = (over: Partial<JobTrust> = {}): JobTrust => ({
  ...verdict("verified", "signature and build sequence check out"),
  signer: "sidecar:3f2a9c",
  buildSequence: 7,
  policy: "enforce",
  outcome: "allowed",
  stage: "gate",
  ...over,
});

describe("job trust", () => {
  it("a verified, allowed job: green badge and the full story in one sentence", () => {
    expect(jobTrustBadge(jt())).toEqual({ tone: "ok", label: "verified" });
    expect(describeJobTrust(jt())).toBe(
      "Content trust: verified, signer sidecar:3f2a9c, build #7 — signature and build sequence check out. Policy enforce: allowed at the upload gate.",
    );
    expect(describeJobTrust(jt({ stage: "approval" }))).toMatch(/allowed at the build's approval\.$/);
    expect(blockedText(jt())).toBeNull();
    expect(blockedText(null)).toBeNull();
  });

  it("a warned job keeps its state colour and says it went ahead", () => {
    const t = jt({
      state: "unsigned",
      reason: "no provenance",
      signer: null,
      buildSequence: null,
      policy: "warn",
      outcome: "warned",
    });
    expect(jobTrustBadge(t)).toEqual({ tone: "warn", label: "unsigned · warned" });
    expect(describeJobTrust(t)).toBe(
      "Content trust: unsigned — no provenance. Policy warn: flashed with a warning at the upload gate.",
    );
  });

  it("a blocked OTA is red whatever the state and says why in plain words", () => {
    const revoked = jt({ state: "revoked", reason: "revoked artifact: found a bad sensor driver", outcome: "blocked" });
    expect(jobTrustBadge(revoked)).toEqual({ tone: "bad", label: "blocked · revoked" });
    expect(blockedText(revoked)).toBe("blocked by content trust: revoked artifact: found a bad sensor driver");
    const unsigned = jt({ state: "unsigned", reason: "", outcome: "blocked" });
    expect(jobTrustBadge(unsigned).tone).toBe("bad");
    expect(blockedText(unsigned)).toBe("blocked by content trust: unsigned");
    expect(describeJobTrust(unsigned)).toMatch(/no reason given\. Policy enforce: blocked at the upload gate\.$/);
  });
});

describe("trust status line", () => {
  const NOW = Date.parse("2026-11-23T12:00:00Z");
  const status = (over: Partial<TrustStatus> = {}): TrustStatus => ({
    policy: "enforce",
    revocations: {
      version: 3,
      issuedAt: "2026-11-01T00:00:00Z",
      expiresAt: "2027-01-30T00:00:00Z",
      expired: false,
      entries: 2,
    },
    revocationError: null,
    log: {
      size: 40,
      audit: { ok: true, checkedAt: "2026-11-23T11:00:00Z", treeSize: 40, checkpointsChecked: 3, problems: [] },
    },
    keys: { active: 3, retired: 0, revoked: 0 },
    ...over,
  });

  it("all well: policy, list version and expiry, log ok; no alert", () => {
    const { items, alert } = trustStatusLine(status(), NOW);
    expect(items.map((i) => [i.text, i.tone])).toEqual([
      ["policy enforce", "ok"],
      ["revocations v3 · expires in 67 d", "ok"],
      ["log check ok", "ok"],
    ]);
    expect(items[1]!.title).toMatch(/version 3: 2 entries/);
    expect(alert).toBeNull();
  });

  it("a failed log check is an alert naming the problems", () => {
    const audit = {
      ok: false,
      checkedAt: "2026-11-23T11:00:00Z",
      treeSize: 40,
      checkpointsChecked: 3,
      problems: ["row 4 edited", "row 9 deleted", "a", "b"],
    };
    const { items, alert } = trustStatusLine(status({ log: { size: 40, audit } }), NOW);
    expect(items[2]).toMatchObject({ text: "log check FAILED", tone: "bad" });
    expect(alert).toMatch(/^Transparency log check FAILED .*: row 4 edited; row 9 deleted; a \(\+1 more\)$/);
  });

  it("Home Assistant's witness: a consistent log is shown, a forked one is an alert", () => {
    const witness = { treeSize: 50, witnessedSize: 40, witnessedAt: "2026-11-20T00:00:00Z" };
    const ok = trustStatusLine(status({ witness: { ...witness, state: "consistent", ok: true, problem: null } }), NOW);
    expect(ok.items.at(-1)).toMatchObject({ text: "witnessed by HA", tone: "ok" });
    expect(ok.alert).toBeNull();
    const forked = trustStatusLine(
      status({ witness: { ...witness, state: "forked", ok: false, problem: "its history was rewritten (forked)" } }),
      NOW,
    );
    expect(forked.items.at(-1)).toMatchObject({ text: "log FORKED (HA witness)", tone: "bad" });
    expect(forked.alert).toMatch(/Home Assistant's witness: its history was rewritten/);
  });

  it("warn policy, an expiring, an expired or a broken list, no list, no audit yet", () => {
    const soon = trustStatusLine(
      status({ policy: "warn", revocations: { ...status().revocations!, expiresAt: "2026-11-25T00:00:00Z" } }),
      NOW,
    );
    expect(soon.items.map((i) => [i.text, i.tone]).slice(0, 2)).toEqual([
      ["policy warn", "warn"],
      ["revocations v3 · expires in 1 d", "warn"],
    ]);
    const expired = trustStatusLine(status({ revocations: { ...status().revocations!, expired: true } }), NOW);
    expect(expired.items[1]).toMatchObject({ text: "revocations v3 · EXPIRED", tone: "bad" });
    expect(expired.alert).toMatch(/expired .*stale/);
    const broken = trustStatusLine(status({ revocationError: "signature does not verify" }), NOW);
    expect(broken.items[1]).toMatchObject({ text: "revocation list INVALID", tone: "bad" });
    expect(broken.alert).toMatch(/signature does not verify/);
    const fresh = trustStatusLine(status({ policy: "off", revocations: null, log: { size: 0, audit: null } }), NOW);
    expect(fresh.items.map((i) => i.text)).toEqual(["policy off", "no revocation list", "log not checked"]);
    expect(fresh.alert).toBeNull();
  });
});
