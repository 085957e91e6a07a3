// Every device's config history from one `git log` over the config folder instead of two git calls per
// device: at start, 2,000 devices cost 4,000 process spawns from a large process (each a fork that stalls
// the event loop), here one. Only for a linear history, where it answers exactly what the per-file
// queries would (`log -1 -- file`, `rev-list --count built..HEAD -- files`); with merges it declines
// and the per-device queries run as before.
import type { RepoInfo } from "./repo.js";

export interface HistoryIndex {
  /** The newest commit that touched the file (config-relative), or null when none did. */
  newest(file: string): string | null;
  /**
   * How many commits after `built` touched any of the files; null when `built` is not in the history
   * (then the caller asks git itself).
   */
  changesSince(built: string, files: readonly string[]): number | null;
}

const COMMIT = "\u001ecommit ";

export async function historyIndex(repo: RepoInfo): Promise<HistoryIndex | null> {
  const out = await repo.git
    .raw(["-c", "core.quotePath=false", "log", `--format=${COMMIT}%H %P`, "--name-only", "--relative", "--", "."])
    .catch(() => null);
  if (out === null) return null;
  const position = new Map<string, number>(); // commit → index, newest first
  const touched = new Map<string, number[]>(); // file → indexes of the commits that touched it, newest first
  const commits: string[] = [];
  for (const block of out.split(COMMIT).slice(1)) {
    const [head = "", ...names] = block.split("\n");
    const [hash, ...parents] = head.trim().split(" ").filter(Boolean);
    if (!hash || parents.length > 1) return null; // a merge: the per-file queries decide
    position.set(hash, commits.length);
    for (const name of names) {
      if (!name) continue;
      const list = touched.get(name) ?? [];
      list.push(commits.length);
      touched.set(name, list);
    }
    commits.push(hash);
  }
  return {
    newest: (file) => {
      const i = touched.get(file)?.[0];
      return i === undefined ? null : commits[i]!;
    },
    changesSince: (built, files) => {
      const end = position.get(built);
      if (end === undefined) return null;
      const since = new Set<number>();
      for (const f of files) for (const i of touched.get(f) ?? []) if (i < end) since.add(i);
      return since.size;
    },
  };
}
