// Finds live processes by an environment variable, to prove a build's whole process group is gone.
import { readdirSync, readFileSync } from "node:fs";

export function pidsWithEnv(entry: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`, "latin1");
      if (env.split("\0").includes(entry)) pids.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}
