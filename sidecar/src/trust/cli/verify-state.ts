// What `esphome-forge verify` remembers between runs: the newest revocation-list version it accepted per
// revocation key, so an older list (a replayed one that predates a revocation) is refused later.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

export function defaultStatePath(): string {
  const env = process.env.FORGE_VERIFY_STATE;
  if (env) return env;
  const base = process.env.XDG_STATE_HOME || join(homedir(), ".local", "state");
  return join(base, "esphome-forge", "verify.json");
}

interface StateFile {
  revocationLists: Record<string, number>;
}

export class VerifyState {
  private readonly data: StateFile;

  constructor(private readonly file: string) {
    let data: StateFile = { revocationLists: {} };
    try {
      const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<StateFile>;
      if (parsed && typeof parsed.revocationLists === "object" && parsed.revocationLists)
        data = { revocationLists: parsed.revocationLists };
    } catch (err) {
      // A missing file is a first run; an unreadable one must not silently forget what was seen.
      if ((err as NodeJS.ErrnoException).code !== "ENOENT")
        throw new Error(`verify state ${file} cannot be read (${(err as Error).message}); fix or remove it`);
    }
    this.data = data;
  }

  /** The newest list version seen for this revocation key (0: none). */
  seen(keyHint: string): number {
    const v = this.data.revocationLists[keyHint];
    return typeof v === "number" && Number.isSafeInteger(v) ? v : 0;
  }

  record(keyHint: string, version: number): void {
    if (version <= this.seen(keyHint)) return;
    this.data.revocationLists[keyHint] = version;
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data, null, 1) + "\n", { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
