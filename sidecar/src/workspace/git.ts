// One way to run git in the config folder: simple-git with settings that make Forge's commits
// predictable whatever the repository or the user's git config says — no hooks, no signing, no
// line-ending or quoting conversions (bytes are committed as they are), no prompts — and `safe.directory`
// for a folder owned by another user (an add-on's /config).
import { simpleGit, type SimpleGit } from "simple-git";

export const FORGE_COMMITTER = { name: "Forge for ESPHome", email: "forge@esphome-forge.invalid" } as const;

/** `-c` settings for every git command Forge runs. */
function settings(root: string): string[] {
  return [
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.autocrlf=false",
    "core.safecrlf=false",
    "core.quotePath=false",
    "commit.gpgSign=false",
    "tag.gpgSign=false",
    "i18n.commitEncoding=UTF-8",
    "i18n.logOutputEncoding=UTF-8",
    "diff.renames=true",
    "color.ui=false",
    `safe.directory=${root}`,
  ];
}
const ALLOWED = [
  "core.hooksPath",
  "core.fsmonitor",
  "core.autocrlf",
  "core.safecrlf",
  "core.quotePath",
  "commit.gpgSign",
  "tag.gpgSign",
  "i18n.commitEncoding",
  "i18n.logOutputEncoding",
  "diff.renames",
  "color.ui",
  "safe.directory",
];

/** Environment every command gets: no prompts, the committer identity. */
function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSH_AUTH_SOCK"]) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return {
    ...env,
    GIT_TERMINAL_PROMPT: "0",
    GIT_COMMITTER_NAME: FORGE_COMMITTER.name,
    GIT_COMMITTER_EMAIL: FORGE_COMMITTER.email,
    ...extra,
  };
}

export interface GitOptions {
  /** Extra environment (push credentials); the names must be listed in `allowEnvironment`. */
  env?: Record<string, string>;
  allowEnvironment?: string[];
  /** Kill the command when it produces nothing for this long. */
  timeoutMs?: number;
  unsafeConfigEnv?: boolean;
}

/** A simple-git instance for `dir` (the config folder; `root` is the repository's top level). */
export function git(dir: string, root: string, o: GitOptions = {}): SimpleGit {
  return simpleGit({
    baseDir: dir,
    config: settings(root),
    allowConfig: ALLOWED,
    allowEnvironment: [
      "GIT_TERMINAL_PROMPT",
      "GIT_COMMITTER_NAME",
      "GIT_COMMITTER_EMAIL",
      ...(o.allowEnvironment ?? []),
    ],
    ...(o.unsafeConfigEnv ? { unsafe: { allowUnsafeConfigEnvCount: true } } : {}),
    ...(o.timeoutMs ? { timeout: { block: o.timeoutMs } } : {}),
  }).env(baseEnv(o.env));
}

/** Undoes git's C-style quoting of a path in its output (only used for unusual names). */
export function unquotePath(p: string): string {
  if (!p.startsWith('"') || !p.endsWith('"')) return p;
  const body = p.slice(1, -1);
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== "\\") {
      bytes.push(...Buffer.from(c, "utf8"));
      continue;
    }
    const n = body[++i]!;
    if (/[0-7]/.test(n)) {
      bytes.push(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else
      bytes.push(
        ({ n: 10, t: 9, r: 13, '"': 34, "\\": 92, a: 7, b: 8, f: 12, v: 11 } as Record<string, number>)[n] ??
          n.charCodeAt(0),
      );
  }
  return Buffer.from(bytes).toString("utf8");
}
