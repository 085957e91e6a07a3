// A small real file system for the full-disk tests: tmpfs when this process may mount (root), else an
// ext4 image on a loop device. `available()` says why neither works (the test is then skipped with
// that reason, as the README states). `fill()` writes until ENOSPC; `free()` removes the filler.
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../src/devtools/processes.js";

export interface SmallFs {
  dir: string;
  kind: "tmpfs" | "loop-ext4";
  /** Writes a filler file until the file system is full; returns the bytes written. */
  fill(): number;
  free(): void;
  unmount(): void;
}

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });

export function mountSmallFs(sizeMb: number): SmallFs | { unavailable: string } {
  const dir = tempDir("forge-smallfs-");
  const problems: string[] = [];
  let kind: SmallFs["kind"] | null = null;
  let image: string | null = null;
  try {
    run("mount", ["-t", "tmpfs", "-o", `size=${sizeMb}m,mode=0755`, "tmpfs", dir]);
    kind = "tmpfs";
  } catch (err) {
    problems.push(`tmpfs: ${firstLine(err)}`);
  }
  if (!kind) {
    try {
      image = join(tempDir("forge-smallfs-img-"), "fs.img");
      run("truncate", ["-s", `${sizeMb}M`, image]);
      run("mkfs.ext4", ["-q", "-F", "-m", "0", image]);
      run("mount", ["-o", "loop", image, dir]);
      kind = "loop-ext4";
    } catch (err) {
      problems.push(`loop device: ${firstLine(err)}`);
    }
  }
  if (!kind) return { unavailable: `no small file system could be mounted (${problems.join("; ")})` };
  const filler = join(dir, "filler");
  return {
    dir,
    kind,
    fill() {
      mkdirSync(dir, { recursive: true });
      const fd = openSync(filler, "a");
      const block = Buffer.alloc(64 * 1024, 0x5a);
      let total = 0;
      try {
        for (;;) total += writeSync(fd, block);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
      } finally {
        closeSync(fd);
      }
      // The last partial blocks too: the file system should have no byte left.
      const fd2 = openSync(filler, "a");
      try {
        for (;;) total += writeSync(fd2, Buffer.alloc(512));
      } catch {
        // full
      } finally {
        closeSync(fd2);
      }
      return total;
    },
    free() {
      rmSync(filler, { force: true });
    },
    unmount() {
      try {
        run("umount", ["-l", dir]);
      } catch {
        // already gone
      }
      if (image) rmSync(image, { force: true });
    },
  };
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: Buffer; message?: string };
  return (e.stderr?.toString().trim() || e.message || String(err)).split("\n")[0]!;
}
