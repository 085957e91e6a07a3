// Trust anchors against a real sidecar, real builder processes (stand-in build), a real worker an admin
// made a `flasher` (a builder never flashes: it flashes every upload and compile_upload) and the real CLI: every
// change of trust is in the log with who and when; a YAML comment cannot lower a device's policy;
// rollback protection survives a CI flash; a database copied and edited while the sidecar is stopped
// un-revokes nothing and adds no log key; the log proves it only grows (consistency proofs).
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Device, Job, TrustStatus } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import {
  freePort,
  runCli,
  startSidecar,
  startWorker,
  tempDir,
  waitFor,
  type ProcHandle,
  type SidecarProc,
} from "../src/devtools/processes.js";
import { generateSigningKey, spkiDer } from "../src/trust/keys/keys.js";
import { signStatement } from "../src/trust/keys/sign.js";
import { loadTrustedRoot } from "../src/trust/keys/trusted-root.js";
import { verifyCheckpoint } from "../src/trust/log/checkpoint.js";
import { verifyConsistency } from "../src/trust/log/merkle.js";
import { IN_TOTO_STATEMENT_V1 } from "../src/trust/attest/statements.js";
import { otaImageOf as otaOf, settledJob, standinFlashes, startFlasher } from "../test-support/fleet-jobs.js";

type W = ProcHandle & { stateDir: string };
type Change = { index: number; kind: string; event: Record<string, unknown> };
let sc: SidecarProc;
let api: Api;
let port: number;
const workers: W[] = [];
const ids: Record<string, string> = {};
let flasher: W;

beforeAll(async () => {
  const dataDir = tempDir();
  writeFleet(
    join(dataDir, "config"),
    ["alpha", "bravo", "charlie"].map((id) => ({ id })),
  );
  port = await freePort();
  sc = await startSidecar({ dataDir, args: ["--no-seed", "--port", String(port)], localSlots: 0 });
  api = new Api(sc.url, sc.token);
  for (const name of ["good", "victim"]) {
    const { secret } = await api.json<{ secret: string }>("POST", "/worker-tokens", { name });
    workers.push(startWorker({ url: sc.url, token: secret, name }));
    ids[name] = await waitFor(
      async () =>
        (await api.json<{ workers: { id: string; name: string; online: boolean }[] }>("GET", "/workers")).workers.find(
          (x) => x.name === name && x.online,
        )?.id,
      `${name} online`,
    );
  }
  flasher = await startFlasher(api, sc.url);
  ids.flasher = (await api.json<{ workers: { id: string; name: string }[] }>("GET", "/workers")).workers.find(
    (x) => x.name === "flasher",
  )!.id;
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await flasher?.stop();
  await sc?.stop();
});

/** Runs a job: its build step on "good" unless pinned elsewhere; a flash (upload) goes to the flasher. */
async function run(action: Job["action"], device: string, params: Record<string, unknown> = {}): Promise<Job> {
  const pin = action === "upload" ? {} : { workerId: ids.good };
  const r = await api.createJobs({ action, targets: { devices: [device] }, params: { ...pin, ...params } });
  return settledJob(api, r.jobs[0]!.jobId);
}
const device = (id: string) => api.json<Device>("GET", `/devices/${id}`);
const cli = (...args: string[]) => runCli(["trust", ...args, "--server", sc.url, "--token", sc.token]);
const changes = async () => (await api.json<{ changes: Change[] }>("GET", "/trust/changes?limit=1000")).changes;

describe("trust anchors", () => {
  let firstSize = 0;

  it("every change of trust is in the log with who and when, listed by the API and the CLI", async () => {
    firstSize = (await api.json<{ treeSize: number }>("GET", "/trust/log/checkpoint")).treeSize;
    const res = await api.raw("PATCH", "/settings", { trustPolicy: "warn" }, { "x-forge-user": "alice" });
    expect(res.status).toBe(200);
    await api.json("PATCH", "/settings", { trustPolicy: "enforce" });
    const all = await changes();
    const fleet = all.filter((c) => c.event.change === "fleet_policy");
    expect(fleet.map((c) => [c.event.actor, c.event.detail])).toEqual([
      ["api:admin", { from: "warn", to: "enforce" }],
      ["api:alice", { from: "enforce", to: "warn" }],
    ]);
    for (const c of fleet) expect(Date.parse(String(c.event.at))).toBeGreaterThan(Date.now() - 120_000);
    // The worker tokens made in beforeAll, and each worker key enrolled on first use.
    expect(all.filter((c) => c.event.change === "worker_token_created").map((c) => c.event.detail)).toEqual([
      { name: "flasher" },
      { name: "victim" },
      { name: "good" },
    ]);
    const enrolled = all.filter((c) => c.kind === "key_enrolled" && c.event.role === "worker");
    expect(enrolled.map((c) => c.event.actor).sort()).toEqual(
      [
        `worker:${ids.good} (first use)`,
        `worker:${ids.victim} (first use)`,
        `worker:${ids.flasher} (first use)`,
      ].sort(),
    );
    const r = await cli("changes");
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/#\d+ +\S+ +fleet_policy +api:alice +fleet +\{"from":"enforce","to":"warn"\}/);
    expect(r.out).toMatch(/key_enrolled +worker:\S+ \(first use\)/);
  });

  it("a YAML trust_policy: off does not let a build signed with a revoked key flash; lowering takes the admin API and is logged", async () => {
    const built = await run("compile", "bravo", { workerId: ids.victim });
    expect(built.state, built.error ?? "").toBe("succeeded");
    const sha = otaOf(built);
    const keys = (await api.json<{ keys: { hint: string; role: string; owner: string }[] }>("GET", "/trust/keys")).keys;
    const victimKey = keys.find((k) => k.role === "worker" && k.owner === ids.victim)!;
    await api.json("POST", "/trust/revocations", {
      entries: [{ kind: "signer", keyHint: victimKey.hint, reason: "victim worker compromised" }],
    });
    const file = join(sc.dataDir, "config", "bravo.yaml");
    writeFileSync(file, `# esphome-forge:\n#   trust_policy: off\n${readFileSync(file, "utf8")}`);
    await waitFor(async () => (await device("bravo")).trustPolicy === "off", "bravo's YAML policy to be read");

    const blocked = await run("upload", "bravo", { firmwareSha256: sha });
    expect(blocked.state).toBe("failed");
    expect(blocked.error).toMatch(/content trust blocked the upload: .*victim worker compromised/);
    expect(blocked.trust).toMatchObject({ state: "revoked", policy: "enforce", outcome: "blocked" });
    expect(standinFlashes(flasher, "bravo")).toBe(0);
    const shown = await cli("policy", "bravo");
    expect(shown.out).toContain("bravo: enforce (fleet enforce; YAML off, can only raise; admin none)");

    // Raising from YAML works; lowering through the admin API works and is logged.
    const set = await cli("policy", "bravo", "warn");
    expect(set.code, set.out).toBe(0);
    expect(set.out).toMatch(/bravo: warn \(fleet enforce; YAML off, can only raise; admin warn\)\nlogged as entry \d+/);
    const warned = await run("upload", "bravo", { firmwareSha256: sha });
    expect(warned.state, warned.error ?? "").toBe("succeeded");
    expect(warned.trust).toMatchObject({ state: "revoked", policy: "warn", outcome: "warned" });
    const logged = (await changes()).find((c) => c.event.change === "device_policy");
    expect(logged?.event).toMatchObject({ actor: "api:admin", subject: "bravo", detail: { from: null, to: "warn" } });
    expect((await cli("policy", "bravo", "fleet")).code).toBe(0);
  });

  it("rollback protection survives a CI-signed flash, and CI firmware carries its own order", async () => {
    const first = await run("compile_upload", "charlie");
    expect(first.state, first.error ?? "").toBe("succeeded");
    const before = (await device("charlie")).configHash;
    appendFileSync(join(sc.dataDir, "config", "charlie.yaml"), "# second revision\n");
    await waitFor(async () => (await device("charlie")).configHash !== before, "charlie's new config");
    const second = await run("compile_upload", "charlie");
    expect(second.state, second.error ?? "").toBe("succeeded");

    const ci = generateSigningKey();
    await api.json("PUT", "/trust/external-signers", { signers: [{ name: "release CI", publicKey: ci.publicPem }] });
    const ciBuild = async (order: number) => {
      const fw = randomBytes(300_000);
      const sha = createHash("sha256").update(fw).digest("hex");
      const bundle = await signStatement(
        {
          _type: IN_TOTO_STATEMENT_V1,
          subject: [{ name: "charlie.ota.bin", digest: { sha256: sha } }],
          predicateType: "https://slsa.dev/provenance/v1",
          predicate: { buildDefinition: { externalParameters: { buildSequence: order } } },
        },
        ci,
      );
      const res = await api.raw("POST", "/trust/external-firmware", {
        deviceId: "charlie",
        firmware: fw.toString("base64"),
        bundle,
      });
      expect(res.status).toBe(201);
      return sha;
    };
    const ci5 = await run("upload", "charlie", { firmwareSha256: await ciBuild(5) });
    expect(ci5.state, ci5.error ?? "").toBe("succeeded");
    expect(ci5.trust).toMatchObject({ state: "verified", outcome: "allowed" });

    const replay = await run("upload", "charlie", { firmwareSha256: otaOf(first) });
    expect(replay.state).toBe("failed");
    expect(replay.error).toMatch(/rollback refused: build #\d+ is older than build #\d+ already on charlie/);
    const ci3 = await run("upload", "charlie", { firmwareSha256: await ciBuild(3) });
    expect(ci3.state).toBe("failed");
    expect(ci3.error).toMatch(/rollback refused: CI build #3 is older than CI build #5 already flashed to charlie/);
    expect(standinFlashes(flasher, "charlie")).toBe(3);
    expect((await changes()).find((c) => c.event.change === "external_signers")?.event).toMatchObject({
      actor: "api:admin",
      detail: { signers: [{ name: "release CI" }] },
    });
  });

  it("the log answers RFC 6962 consistency proofs between any two of its sizes", async () => {
    const root = loadTrustedRoot(await api.json("GET", "/trust/root"));
    if (!root.ok) throw new Error(root.error);
    const p = await api.json<{
      fromTreeSize: number;
      toTreeSize: number;
      hashes: string[];
      fromCheckpoint: string;
      toCheckpoint: string;
    }>("GET", `/trust/log/consistency?from=${firstSize}`);
    const from = verifyCheckpoint(p.fromCheckpoint, root.value.logKeys);
    const to = verifyCheckpoint(p.toCheckpoint, root.value.logKeys);
    if (!from.ok || !to.ok) throw new Error("checkpoints do not verify");
    expect(from.checkpoint.treeSize).toBe(firstSize);
    expect(to.checkpoint.treeSize).toBeGreaterThan(firstSize);
    const hashes = p.hashes.map((h) => Buffer.from(h, "base64"));
    expect(verifyConsistency(firstSize, p.toTreeSize, from.checkpoint.rootHash, to.checkpoint.rootHash, hashes)).toBe(
      true,
    );
    hashes[0]![0]! ^= 1;
    expect(verifyConsistency(firstSize, p.toTreeSize, from.checkpoint.rootHash, to.checkpoint.rootHash, hashes)).toBe(
      false,
    );
    expect((await api.raw("GET", `/trust/log/consistency?from=1&to=${p.toTreeSize + 5}`)).status).toBe(404);
    expect((await api.raw("GET", "/trust/log/consistency?from=0")).status).toBe(400);
    expect((await api.raw("GET", `/trust/log/consistency?from=${p.toTreeSize + 1}`)).status).toBe(400);
  });

  it("forge.db copied and edited while stopped: revocations deleted, a log key and a device policy added — revoked stays revoked, the key is not served, the audit fails", async () => {
    const built = await run("compile", "alpha");
    expect(built.state, built.error ?? "").toBe("succeeded");
    const sha = otaOf(built);
    await api.json("POST", "/trust/revocations", { entries: [{ kind: "artifact", sha256: sha, reason: "recalled" }] });
    // A policy set through the API survives the restart; the one written into the database does not.
    expect((await cli("policy", "charlie", "warn")).code).toBe(0);
    expect((await api.json<TrustStatus>("GET", "/trust/status?recheck=true")).log.audit?.ok).toBe(true);
    await sc.stop();

    const db = new Database(join(sc.dataDir, "forge.db"));
    db.prepare("DELETE FROM trust_revocation_lists").run();
    const rogue = generateSigningKey();
    db.prepare(
      "INSERT INTO trust_keys (hint, role, owner, public_pem, enrolled_at) VALUES (?, 'log', 'sidecar', ?, ?)",
    ).run(rogue.hint, rogue.publicPem, new Date(Date.now() - 86_400_000).toISOString());
    db.prepare(
      "INSERT INTO trust_device_policies (device_id, policy, actor, set_at, log_index) VALUES ('alpha', 'off', 'api:admin', ?, 0)",
    ).run(new Date().toISOString());
    // Charlie's rollback floors (two Forge builds and CI order 5 flashed, earlier test) wiped.
    const floor = db.prepare("SELECT max_build_seq FROM trust_installed WHERE device_id = 'charlie'").pluck().get();
    expect(floor).toBeGreaterThan(1);
    db.prepare(
      "UPDATE trust_installed SET max_build_seq = 1, max_external_order = NULL WHERE device_id = 'charlie'",
    ).run();
    db.close();
    const args = ["--no-seed", "--port", String(port), "--admin-token", sc.token];
    // A lowered rollback floor is refused at start (the state anchor has it); accepting raises it back.
    const refusal = await startSidecar({ dataDir: sc.dataDir, args, localSlots: 0 }).then(
      (s) => (void s.stop(), null),
      (e: unknown) => (e as Error).message,
    );
    expect(refusal).toContain(`rollback floor: charlie's is build #1, the anchor recorded #${String(floor)}`);
    expect(refusal).toContain("rollback floor: charlie's CI order is none, the anchor recorded 5");
    sc = await startSidecar({ dataDir: sc.dataDir, args: [...args, "--accept-database"], localSlots: 0 });
    expect(sc.output()).toContain(`raised charlie's rollback floor back to build #${String(floor)}`);
    api = new Api(sc.url, sc.token);
    await waitFor(() => /CONSISTENCY CHECK FAILED/.test(sc.output()), "the start-up check to report");

    const status = await api.json<TrustStatus>("GET", "/trust/status");
    expect(status.log.audit?.ok).toBe(false);
    const problems = status.log.audit!.problems.join("\n");
    expect(problems).toMatch(/revocation list: the database's newest is none, but v\d+ was published/);
    expect(problems).toMatch(/log key \S+ is in the database but not pinned in pinned-keys.json/);
    expect(problems).toMatch(/device alpha: trust policy "off" in the database was never set through the API/);
    expect(status.revocations?.entries).toBeGreaterThan(0);

    const served = JSON.stringify(await api.json("GET", "/trust/root"));
    expect(served).not.toContain(spkiDer(rogue.publicKey).toString("base64"));
    const policy = await api.json<{ effective: string; admin: string | null }>("GET", "/trust/devices/alpha/policy");
    expect(policy).toMatchObject({ effective: "enforce", admin: null });
    expect(await api.json("GET", "/trust/devices/charlie/policy")).toMatchObject({ admin: "warn", effective: "warn" });

    const online = async () =>
      (await api.json<{ workers: { id: string; online: boolean }[] }>("GET", "/workers")).workers;
    await waitFor(async () => (await online()).some((w) => w.id === ids.good && w.online), "the good worker back");
    // The flasher's role is the sidecar's record: it survives the restart (and the edit, which left it alone).
    await waitFor(async () => (await online()).some((w) => w.id === ids.flasher && w.online), "the flasher back");
    const flashesBefore = standinFlashes(flasher, "alpha");
    const blocked = await run("upload", "alpha", { firmwareSha256: sha });
    expect(blocked.state).toBe("failed");
    expect(blocked.trust).toMatchObject({ state: "revoked", outcome: "blocked" });
    expect(blocked.error).toMatch(/recalled/);
    expect(standinFlashes(flasher, "alpha")).toBe(flashesBefore);
    // The floors put back are the database's again (the gate reads them there).
    const reread = new Database(join(sc.dataDir, "forge.db"), { readonly: true });
    expect(
      reread.prepare("SELECT max_build_seq, max_external_order FROM trust_installed WHERE device_id = 'charlie'").get(),
    ).toEqual({ max_build_seq: floor, max_external_order: 5 });
    reread.close();
    const r = await cli("status");
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/problem: revocation list: the database's newest is none/);
  });
});
