// A lock file between processes (two workers sharing a state folder, or a worker and a test):
// created with O_EXCL and holding the owner's pid. A lock whose owner is gone is taken over.
import { open, readFile, unlink } from "node:fs/promises";

const POLL_MS = 100;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Waits for the lock (up to `timeoutMs`), runs `fn`, and removes the lock afterwards. */
export async function withLockFile<T>(
  file: string,
  timeoutMs: number,
  fn: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const h = await open(file, "wx");
      await h.writeFile(String(process.pid));
      await h.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const owner = Number((await readFile(file, "utf8").catch(() => "")).trim());
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
      await unlink(file).catch(() => {}); // its owner died mid-install: take over
      continue;
    }
    if (signal?.aborted) throw new Error("aborted while waiting for another install of the same version");
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for the install lock ${file} (held by pid ${owner || "?"})`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  try {
    return await fn();
  } finally {
    await unlink(file).catch(() => {});
  }
}
