// The inventory's own `esphome config` is build code too: ESPHome imports external components'
// Python while it validates. When builds have their own user (worker-hub/build-user.ts), it runs as
// that user on a copy of the device's files — exactly what a worker would get, secrets filtered —
// in a fresh folder under the temp folder: root's, readable by the build user's group, never
// writable by it (so nothing it does can redirect the sidecar's writes). ESPHome's own data
// (cloned components) goes to a folder of the build user's.
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { JobFile } from "./job-files.js";

export interface ConfigSandbox {
  user: { name: string; uid: number; gid: number; home: string };
  /** `ESPHOME_DATA_DIR` of each device goes under here (the build user's). */
  dataRoot: string;
}

/** Runs a process as someone else, with these variables on top of the build allow-list. */
export interface RunAs {
  uid: number;
  gid: number;
  env: Record<string, string>;
}

/** Writes `files` into a fresh sandbox folder, runs `fn` in it as the build user, then removes it. */
export async function inSandbox<T>(
  sb: ConfigSandbox,
  deviceId: string,
  files: JobFile[],
  fn: (dir: string, as: RunAs) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), "forge-config-"));
  try {
    await share(dir, sb.user.gid, 0o750);
    const made = new Set<string>([dir]);
    for (const f of files) {
      const abs = path.resolve(dir, f.path);
      if (!abs.startsWith(dir + path.sep)) throw new Error(`refusing config file path ${JSON.stringify(f.path)}`);
      for (let d = path.dirname(abs), todo: string[] = []; ; d = path.dirname(d)) {
        if (made.has(d)) {
          for (const m of todo.reverse()) {
            await mkdir(m);
            await share(m, sb.user.gid, 0o750);
            made.add(m);
          }
          break;
        }
        todo.push(d);
      }
      await writeFile(abs, f.encoding === "base64" ? Buffer.from(f.content, "base64") : f.content, { flag: "wx" });
      await share(abs, sb.user.gid, 0o640);
    }
    const u = sb.user;
    return await fn(dir, {
      uid: u.uid,
      gid: u.gid,
      env: { HOME: u.home, USER: u.name, LOGNAME: u.name, ESPHOME_DATA_DIR: path.join(sb.dataRoot, deviceId) },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Root's, and readable by the build user's group: never writable by it. */
async function share(p: string, gid: number, mode: number): Promise<void> {
  await chown(p, 0, gid);
  await chmod(p, mode);
}
