import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { waitUntil } from "../../test-support/helpers.js";
import { GroupProcess, groupAlive, pidAlive } from "./process-group.js";

const node = process.execPath;
/**
 * The file can exist and still be empty: the kernel then shows the process in no autogroup (as on one CI machine), and
 * a build's session has no group priority to keep.
 */
function autogroupInEffect(): boolean {
  try {
    return readFileSync("/proc/self/autogroup", "utf8").trim() !== "";
  } catch {
    return false;
  }
}
/** A parent that starts a grandchild (same group), prints both pids, and then waits forever. */
function parentScript(ignoreTerm: boolean): string {
  const trap = ignoreTerm ? "process.on('SIGTERM', () => {});" : "";
  return `${trap}
    const { spawn } = require('node:child_process');
    const g = spawn(process.execPath, ['-e', "${trap.replace(/'/g, "\\'")} setInterval(() => {}, 1e6)"], { stdio: 'ignore' });
    console.log('pids', process.pid, g.pid);
    setInterval(() => {}, 1e6);`;
}

async function start(ignoreTerm: boolean): Promise<{ proc: GroupProcess; pids: number[] }> {
  const proc = new GroupProcess({
    command: node,
    args: ["-e", parentScript(ignoreTerm)],
    cwd: process.cwd(),
    env: process.env,
  });
  let out = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const m = await waitUntil(() => /pids (\d+) (\d+)/.exec(out), "pids");
  return { proc, pids: [Number(m[1]), Number(m[2])] };
}

describe("GroupProcess", () => {
  it("runs the command in its own process group", async () => {
    const { proc, pids } = await start(false);
    expect(proc.pid).toBe(pids[0]);
    expect(groupAlive(proc.pid!)).toBe(true);
    await proc.kill();
  });

  it("kills the whole group, grandchild included, with SIGTERM", async () => {
    const { proc, pids } = await start(false);
    const t0 = Date.now();
    await proc.kill();
    const exit = await proc.exited;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(exit.signal).toBe("SIGTERM");
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
  });

  it("falls back to SIGKILL after 1.5 s when SIGTERM is ignored, all within 2 s", async () => {
    const { proc, pids } = await start(true);
    const t0 = Date.now();
    await proc.kill();
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    expect(elapsed).toBeLessThan(2000);
    expect((await proc.exited).signal).toBe("SIGKILL");
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
  });

  it("clears out what the leader leaves behind when it exits on its own", async () => {
    const script = `const g = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
      console.log('grandchild', g.pid); setTimeout(() => process.exit(0), 100);`;
    const proc = new GroupProcess({ command: node, args: ["-e", script], cwd: process.cwd(), env: process.env });
    let out = "";
    proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const exit = await proc.exited;
    expect(exit.code).toBe(0);
    const pid = Number(/grandchild (\d+)/.exec(out)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(pidAlive(pid)).toBe(false);
  });

  it("reports a command that cannot start", async () => {
    const proc = new GroupProcess({ command: "/nonexistent/esphome", args: [], cwd: process.cwd(), env: process.env });
    const exit = await proc.exited;
    expect(exit.error?.message).toMatch(/ENOENT/);
  });

  // Only where the kernel schedules this process by autogroup (a session each) is there a priority to keep.
  it.runIf(autogroupInEffect())(
    "keeps the worker's nice for the build's own session (autogroup), which would otherwise compete at nice 0",
    async () => {
      const dist = fileURLToPath(new URL("../../dist/build-worker/process-group.js", import.meta.url));
      // A worker started under `nice -n 7`: its build's session must be at 7 too.
      const script = `const { GroupProcess } = await import(${JSON.stringify(dist)});
        const { readFileSync } = await import("node:fs");
        const p = new GroupProcess({ command: "sleep", args: ["30"], cwd: "/", env: process.env });
        console.log(readFileSync("/proc/" + p.pid + "/autogroup", "utf8").trim(), "|", readFileSync("/proc/self/autogroup", "utf8").trim());
        await p.kill();`;
      const run = (nice: number) =>
        promisify(execFile)("nice", ["-n", String(nice), node, "--input-type=module", "-e", script]);
      const [build, own] = (await run(7)).stdout.trim().split(" | ");
      const group = (line: string) => line.split(" nice ")[0];
      expect(group(build!)).not.toBe(group(own!)); // a session, and so a scheduling group, of its own
      expect(build).toMatch(/ nice 7$/);
      // At the ordinary priority it is left as the kernel makes it.
      expect((await run(0)).stdout).toMatch(/ nice 0 \|/);
    },
  );
});
