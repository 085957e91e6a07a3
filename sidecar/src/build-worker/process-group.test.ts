import { describe, expect, it } from "vitest";
import { waitUntil } from "../../test-support/helpers.js";
import { GroupProcess, groupAlive, pidAlive } from "./process-group.js";

const node = process.execPath;
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
});
