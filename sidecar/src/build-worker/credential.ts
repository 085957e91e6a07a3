// What `worker join` leaves in the worker's state folder (credential.json, 0600): the sidecar's
// address, the key fingerprints it pins, and the worker's credential (a token bound to this worker's
// id and key). Later starts read it and need no arguments; a `server_key` announcement (the sidecar
// rotating its TLS key) adds a pin.
import { chmodSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { readIfPresent } from "../util/read-if-present.js";

export interface Credential {
  server: string;
  /** SHA-256 fingerprints (hex) of the sidecar keys this worker accepts; empty: CA-verified certificate. */
  pins: string[];
  token: string;
  workerId: string;
  joinedAt: string;
}

export function credentialPath(stateDir: string): string {
  return path.join(stateDir, "credential.json");
}

/** The stored credential, or null when the worker never joined. */
export function readCredential(stateDir: string): Credential | null {
  const text = readIfPresent(credentialPath(stateDir));
  if (text === null) return null;
  const c = JSON.parse(text) as Partial<Credential>;
  if (typeof c.server !== "string" || typeof c.token !== "string" || !Array.isArray(c.pins))
    throw new Error(`${credentialPath(stateDir)} is damaged; join the worker again`);
  return c as Credential;
}

export function writeCredential(stateDir: string, c: Credential): void {
  const file = credentialPath(stateDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(c, null, 2) + "\n", { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** Adds a pin (the sidecar's next TLS key), keeping the last two rotations. */
export function addPin(stateDir: string, fingerprint: string): string[] | null {
  const c = readCredential(stateDir);
  if (!c) return null;
  if (!c.pins.includes(fingerprint)) c.pins = [fingerprint, ...c.pins].slice(0, 3);
  writeCredential(stateDir, c);
  return c.pins;
}
