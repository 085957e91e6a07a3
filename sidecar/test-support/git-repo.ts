// The real git CLI, for tests that check the config folder's repository independently of the
// sidecar's own git code: log, show, author, trailers, bare remotes.
import { execFileSync } from "node:child_process";

const ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "Test Person",
  GIT_AUTHOR_EMAIL: "test@example.invalid",
  GIT_COMMITTER_NAME: "Test Person",
  GIT_COMMITTER_EMAIL: "test@example.invalid",
};

export function gitIn(dir: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "core.hooksPath=/dev/null", "-c", "commit.gpgSign=false", ...args], {
    cwd: dir,
    env: ENV,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

export interface LoggedCommit {
  sha: string;
  author: string;
  email: string;
  subject: string;
  source: string;
  action: string;
}

/** `git log` of the folder (or of one path, with `--follow`), newest first. */
export function gitLog(dir: string, path?: string): LoggedCommit[] {
  const fmt =
    "%H%x1f%an%x1f%ae%x1f%s%x1f%(trailers:key=Forge-Source,valueonly)%x1f%(trailers:key=Forge-Action,valueonly)%x1e";
  const args = ["log", `--format=${fmt}`, ...(path ? ["--follow", "--", path] : [])];
  return gitIn(dir, ...args)
    .split("\x1e")
    .map((r) => r.trim())
    .filter(Boolean)
    .map((r) => {
      const [sha, author, email, subject, source, action] = r.split("\x1f");
      return {
        sha: sha!,
        author: author!,
        email: email!,
        subject: subject!,
        source: source!.trim(),
        action: action!.trim(),
      };
    });
}

/** A bare repository to push to. */
export function bareRepo(dir: string): string {
  execFileSync("git", ["init", "--quiet", "--bare", "--initial-branch=main", dir], { env: ENV });
  return dir;
}
