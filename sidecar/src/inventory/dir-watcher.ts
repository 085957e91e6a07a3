// Watches a changing set of folders inside the config folder (the top level plus every folder a device
// pulls files from) with plain, non-recursive fs.watch — a recursive watch would also crawl `.esphome/`
// build trees. Events are debounced into one batch of changed config-relative paths; `null` in a batch
// means "something changed, name unknown" (the caller then rescans everything).
import { watch } from "node:fs";
import type { FSWatcher } from "node:fs";
import path from "node:path";

export class DirWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private pending = new Set<string | null>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly root: string,
    private readonly onBatch: (paths: Set<string | null>) => void,
    private readonly debounceMs = 150,
    private readonly log?: (msg: string) => void,
  ) {}

  /** Makes the watched set exactly `dirs` (config-relative; "" is the top level). `refresh` re-creates
   *  every watch (a folder deleted and re-created leaves a dead one behind). */
  setDirs(dirs: Iterable<string>, refresh = false): void {
    if (this.closed) return;
    const want = new Set(dirs);
    for (const [dir, w] of this.watchers) {
      if (refresh || !want.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of want) if (!this.watchers.has(dir)) this.add(dir);
  }

  private add(dir: string): void {
    try {
      const w = watch(path.join(this.root, dir), { persistent: false }, (_event, name) => {
        this.push(name == null ? null : path.posix.join(dir, name.toString()));
      });
      w.on("error", () => {
        // The folder went away (or the watch broke): forget it and let a rescan sort things out.
        w.close();
        if (this.watchers.get(dir) === w) this.watchers.delete(dir);
        this.push(null);
      });
      this.watchers.set(dir, w);
    } catch (e) {
      // Missing folder (an include that does not exist yet) or out of inotify watches: the periodic rescan covers it.
      if ((e as NodeJS.ErrnoException).code !== "ENOENT")
        this.log?.(`inventory: cannot watch ${dir || "."}: ${(e as Error).message}`);
    }
  }

  private push(p: string | null): void {
    if (this.closed) return;
    this.pending.add(p);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      const batch = this.pending;
      this.pending = new Set();
      this.onBatch(batch);
    }, this.debounceMs);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}
