// The worker verbs around its credential: `worker join LINK` (pair once, then start from the stored
// credential on every start after — a container that runs the same command again just starts) and
// `worker rotate-key` (a new key, announced at the next connection, used once an admin approves it).
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import os from "node:os";
import { parseArgs } from "node:util";
import { formatFingerprint, keyFingerprint, loadOrCreateKey } from "../trust/keys/keys.js";
import { parseJoinLink, serverUrlOf } from "../util/join-link.js";
import { readCredential } from "./credential.js";
import { JoinError, joinSidecar } from "./join.js";
import { nextKeyPath, workerKeyPath } from "./worker-trust.js";
import type { WorkerArgs } from "./worker-cli.js";

/** Joins (unless this state folder already joined that sidecar); 0 on success, else the exit code. */
export async function joinOnce(link: string, opts: WorkerArgs): Promise<number> {
  let target: string;
  try {
    target = serverUrlOf(parseJoinLink(link));
  } catch (err) {
    console.error(`esphome-forge worker join: ${(err as Error).message}`);
    return 2;
  }
  const existing = readCredential(opts.stateDir);
  if (existing && existing.server === target) {
    console.log(`esphome-forge worker: already joined ${target} as ${existing.workerId}; starting`);
    return 0;
  }
  try {
    const joined = await joinSidecar({
      link,
      stateDir: opts.stateDir,
      name: opts.name,
      insecureTransport: opts.insecureTransport ?? false,
      log: (line) => console.log(`esphome-forge worker: ${line}`),
    });
    const waiting =
      joined.enrolment === "approved"
        ? "approved"
        : "waiting for an admin to approve it: compare this fingerprint with the one the dashboard, Home Assistant or `esphome-forge workers` shows";
    console.log(
      `esphome-forge worker: joined ${target} as ${joined.workerId}; key fingerprint ${formatFingerprint(joined.keyFingerprint)}; ${waiting}`,
    );
    console.log(`esphome-forge worker: credential saved in ${opts.stateDir}; later starts need no arguments`);
    return 0;
  } catch (err) {
    if (!(err instanceof JoinError)) throw err;
    console.error(`esphome-forge worker join: ${err.message}`);
    return 3;
  }
}

export function rotateKeyCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): number {
  const { values } = parseArgs({
    args: argv,
    options: { "state-dir": { type: "string" }, force: { type: "boolean", default: false } },
  });
  const base = env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state");
  const stateDir = path.resolve(
    values["state-dir"] ?? env.FORGE_WORKER_STATE_DIR ?? path.join(base, "esphome-forge", "worker"),
  );
  if (!existsSync(workerKeyPath(stateDir))) {
    console.error(`esphome-forge worker rotate-key: no worker key in ${stateDir} (join first)`);
    return 2;
  }
  if (existsSync(nextKeyPath(stateDir)) && !values.force) {
    const { key } = loadOrCreateKey(nextKeyPath(stateDir));
    console.log(
      `a new key already waits for approval: fingerprint ${formatFingerprint(keyFingerprint(key.publicKey))} (--force makes another)`,
    );
    return 0;
  }
  // --force replaces a waiting key (loadOrCreateKey only creates a file that is absent).
  if (values.force) rmSync(nextKeyPath(stateDir), { force: true });
  const { key } = loadOrCreateKey(nextKeyPath(stateDir));
  console.log(
    `new worker key created: fingerprint ${formatFingerprint(keyFingerprint(key.publicKey))}\n` +
      "The worker announces it at its next connection (restart it); it keeps its id and history, and signs with the\n" +
      "new key once an admin approves it (compare the fingerprint: dashboard, Home Assistant or `esphome-forge workers`).",
  );
  return 0;
}
