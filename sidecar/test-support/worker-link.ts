// The worker link's process tests share this: one real sidecar per test file, listening on every address
// with TLS to anyone but this machine and workers waiting for the admin's approval, plus the calls the
// tests make on it. The machine's LAN address (not loopback) stands for "another machine".
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { PairingResponse, type Worker } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import {
  startCli,
  startSidecar,
  STANDIN_COMMAND,
  tempDir,
  type ProcHandle,
  type SidecarProc,
} from "../src/devtools/processes.js";

/** An address of this machine that is not loopback: connections from it count as "another machine". */
export const LAN = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === "IPv4" && !i.internal)?.address;

/**
 * Starts the file's sidecar before its tests (these devices in its config folder) and stops it, with every
 * process the tests started, after them.
 */
export function useWorkerLinkSidecar(devices: string[]): WorkerLinkSidecar {
  const link = new WorkerLinkSidecar();
  beforeAll(() => link.start(devices));
  afterAll(() => link.stop());
  return link;
}

export class WorkerLinkSidecar {
  /** Every process a test starts; stopped after the file's tests (a test that fails mid-way leaks nothing). */
  readonly procs: ProcHandle[] = [];
  private proc?: SidecarProc;
  private client?: Api;

  get sc(): SidecarProc {
    return this.proc!;
  }
  /** The admin API over loopback (plain HTTP: this machine). */
  get api(): Api {
    return this.client!;
  }
  get port(): number {
    return Number(new URL(this.sc.url).port);
  }

  async start(devices: string[]): Promise<void> {
    const dataDir = tempDir();
    writeFleet(
      join(dataDir, "config"),
      devices.map((id) => ({ id })),
    );
    this.proc = await startSidecar({ dataDir, args: ["--no-seed", "--host", "0.0.0.0"], autoApproveWorkers: false });
    this.client = new Api(`http://127.0.0.1:${this.port}`, this.proc.token);
  }

  async stop(): Promise<void> {
    for (const p of this.procs) await p.stop();
    await this.proc?.stop();
  }

  workers = async (): Promise<Worker[]> => (await this.api.json<{ workers: Worker[] }>("GET", "/workers")).workers;

  /** A one-time pairing code for a worker reaching the sidecar at `host`. */
  pair = (host = LAN): Promise<PairingResponse> => this.api.json("POST", "/workers/pairing", { host }, PairingResponse);

  /** `worker join` with the stand-in ESPHome as its build command. */
  joinWorker = (link: string, stateDir: string, name: string): ProcHandle => {
    const p = startCli([
      "worker",
      "join",
      link,
      "--state-dir",
      stateDir,
      "--name",
      name,
      "--build-command",
      STANDIN_COMMAND,
    ]);
    this.procs.push(p);
    return p;
  };
}
