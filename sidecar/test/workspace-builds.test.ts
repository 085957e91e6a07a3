// Builds dispatched while the config workspace waits for outside changes to settle share one `git status`
// (a fleet build ran ~40 serialised git spawns after every 30 s rescan, one per job). A real sidecar and
// the real git, behind a wrapper on PATH that counts the sidecar's `git status` calls.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkspaceStatus, type Job } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import { startSidecar, tempDir, waitFor, type SidecarProc } from "../src/devtools/processes.js";
import { gitLog } from "../test-support/git-repo.js";

const DEVICES = Array.from({ length: 8 }, (_, i) => `node-${i}`);
let sc: SidecarProc;
let api: Api;
let config: string;
let calls: string;

beforeAll(async () => {
  const dataDir = tempDir();
  config = join(dataDir, "config");
  writeFleet(
    config,
    DEVICES.map((id) => ({ id })),
  );
  const bin = tempDir("forge-git-wrap-");
  calls = join(bin, "status-calls");
  const git = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
  writeFileSync(
    join(bin, "git"),
    `#!/bin/sh\nfor a in "$@"; do [ "$a" = status ] && echo status >> '${calls}'; done\nexec '${git}' "$@"\n`,
  );
  chmodSync(join(bin, "git"), 0o755);
  sc = await startSidecar({
    dataDir,
    args: ["--no-seed"],
    localSlots: 2,
    env: { FORGE_EXTERNAL_SETTLE_MS: "6000", PATH: `${bin}:${process.env.PATH ?? ""}` },
  });
  api = new Api(sc.url, sc.token);
}, 60_000);
afterAll(async () => {
  await sc?.stop();
});

const statusCalls = () => (existsSync(calls) ? readFileSync(calls, "utf8").split("\n").filter(Boolean).length : 0);

describe("builds while outside changes settle", () => {
  it("share one git status, build from the head, and the outside change is committed once it settles", async () => {
    const head = (await api.json("GET", "/workspace", undefined, WorkspaceStatus)).head;
    // An edit outside Forge that is no device's file: the workspace waits 6 s for it to settle.
    writeFileSync(join(config, "notes.txt"), "written in another editor\n");
    await new Promise((r) => setTimeout(r, 500)); // the watcher reports it
    const before = statusCalls();
    const created = await api.createJobs({ action: "compile", targets: { devices: DEVICES } });
    const jobs: Job[] = await waitFor(async () => {
      const all = await Promise.all(created.jobs.map((j) => api.job(j.jobId)));
      return all.every((j) => j.state === "succeeded" || j.state === "failed") ? all : null;
    }, "the builds");
    expect(jobs.map((j) => j.state)).toEqual(DEVICES.map(() => "succeeded"));
    expect(jobs.map((j) => j.configCommit)).toEqual(DEVICES.map(() => head));
    // Eight builds dispatched inside the settle window: one status between them (was one each).
    expect(statusCalls() - before).toBe(1);
    const external = await waitFor(
      () => gitLog(config).find((c) => c.subject === "External change: notes.txt"),
      "the external commit",
      15_000,
    );
    expect(external.action).toBe("external");
  }, 60_000);
});
