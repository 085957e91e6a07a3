// Work over many items in the background without holding the event loop: `n` at a time, and a turn
// given back to the loop every few milliseconds, however little I/O the items do.

/** Longest the pool's items run in one event-loop turn before it lets other work in. */
const TURN_MS = 8;

/**
 * Runs `fn` over the items, `n` at a time, yielding to the event loop every TURN_MS: items that finish
 * without I/O (a kept read, inventory/read-cache.ts; a device's history from the workspace's git index)
 * would otherwise chain as microtasks through a whole fleet in one turn (2,000 devices: a 140 ms stall on
 * every rescan, 105 ms at start).
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
