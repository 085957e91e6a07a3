// Small file-system helpers for the inventory.
import { randomBytes } from "node:crypto";
import { chmod, rename, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";

/** Writes via a hidden temp file in the same folder and a rename, keeping the file's mode. */
export async function atomicWrite(abs: string, content: string): Promise<void> {
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.forge-${randomBytes(4).toString("hex")}.tmp`);
  const { mode } = await stat(abs);
  try {
    await writeFile(tmp, content, { flag: "wx" });
    await chmod(tmp, mode & 0o7777);
    await rename(tmp, abs);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** Longest the pool's items run in one event-loop turn before it lets other work in. */
const TURN_MS = 8;

/**
 * Runs `fn` over the items, `n` at a time, yielding to the event loop every TURN_MS: items that finish
 * without I/O (a kept read, inventory/read-cache.ts) would otherwise chain as microtasks through a
 * whole fleet in one turn (2,000 devices: a 140 ms stall on every rescan).
 */
export async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  let turnStart = performance.now();
  /** The next turn all workers wait for once this one's time is used up. */
  let nextTurn: Promise<void> | null = null;
  const worker = async () => {
    while (i < items.length) {
      if (performance.now() - turnStart > TURN_MS) {
        nextTurn ??= new Promise((resolve) =>
          setImmediate(() => {
            nextTurn = null;
            turnStart = performance.now();
            resolve();
          }),
        );
        await nextTurn;
        continue;
      }
      await fn(items[i++]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}
