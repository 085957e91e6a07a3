// Test helpers for the inventory: real temp folders, waiting on events with a deadline, and the
// real ESPHome binary (installed by scripts/ensure-esphome.sh).
import type { EventEmitter } from "node:events";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

const made: string[] = [];

/** A fresh temp folder holding `files` (relative path → content). */
export async function configDir(files: Record<string, string | Buffer> = {}): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "forge-inv-"));
  made.push(dir);
  await writeFiles(dir, files);
  return dir;
}

export async function writeFiles(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
  }
}

export async function cleanup(): Promise<void> {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** Resolves with the first `event` whose payload passes `match`; rejects after `timeoutMs`. */
export function nextEvent<T>(
  em: EventEmitter,
  event: string,
  match: (v: T) => boolean = () => true,
  timeoutMs = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      em.off(event, on);
      reject(new Error(`no matching "${event}" event within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (v: T) => {
      if (!match(v)) return;
      clearTimeout(timer);
      em.off(event, on);
      resolve(v);
    };
    em.on(event, on);
  });
}

/** The real esphome binary; a test that needs it fails (never skips) when it is missing. */
export function esphomeBin(): string {
  const bin = process.env.FORGE_ESPHOME_BIN;
  if (!bin) {
    throw new Error(
      'FORGE_ESPHOME_BIN is not set: run `eval "$(bash scripts/ensure-esphome.sh)"` first (scripts/test.sh does this) to install the real ESPHome',
    );
  }
  return bin;
}
