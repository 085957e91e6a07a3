// The worker's side of content trust: its own P-256 key (created once in the state folder, 0600) and
// signed SLSA provenance over the firmware it built, sent with the build's result. A worker never asks
// to flash what it built: the sidecar approves the archived bytes and a flasher sends them.
import path from "node:path";
import { helloProofText, type AssignMessage } from "@esphome-forge/shared";
import { loadOrCreateKey, signBytes, type SigningKey } from "../trust/keys/keys.js";
import { signStatement } from "../trust/keys/sign.js";
import { buildProvenanceStatement } from "../trust/attest/statements.js";
import { SIDECAR_VERSION } from "../util/version.js";
import type { WorkerConnection } from "./connection.js";
import type { BuiltImage } from "./firmware.js";

export class WorkerTrust {
  readonly key: SigningKey;
  /** Set from `welcome`: the sidecar approves builds (kept for the log; a worker never flashes its own build). */
  gate = false;

  constructor(
    stateDir: string,
    private readonly workerId: string,
    _conn: Pick<WorkerConnection, "send" | "sendBinary">,
    log: (line: string) => void,
  ) {
    const { key, created } = loadOrCreateKey(path.join(stateDir, "trust", "worker-key.pem"));
    this.key = key;
    if (created) log(`created the worker signing key (hint ${key.hint})`);
  }

  /** The answer to the sidecar's `challenge` at each connection: proof that this worker holds its key. */
  prove(nonce: string): string {
    return signBytes(this.key, Buffer.from(helloProofText(this.workerId, nonce), "utf8")).toString("base64");
  }

  /** The signed provenance bundle (JSON text) for these images of this assignment. */
  async provenance(
    a: AssignMessage,
    images: BuiltImage[],
    esphomeVersion: string | null,
    startedAt: number,
  ): Promise<string> {
    const statement = buildProvenanceStatement({
      deviceId: a.deviceId,
      deviceName: a.deviceName,
      configSha256: a.bundle?.digest ?? a.configHash ?? "0".repeat(64),
      esphomeVersion: esphomeVersion ?? a.esphomeVersion ?? "unknown",
      platform: null,
      board: null,
      workerId: this.workerId,
      jobId: a.jobId,
      startedAt: new Date(startedAt).toISOString(),
      finishedAt: new Date().toISOString(),
      firmware: images.map((i) => ({
        name: i.image.name,
        sha256: i.image.sha256,
        size: i.image.size,
        kind: i.image.kind,
      })),
      forgeVersion: SIDECAR_VERSION,
    });
    return JSON.stringify(await signStatement(statement, this.key));
  }
}
