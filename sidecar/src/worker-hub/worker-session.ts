// One connected build worker: its socket, what it announced in hello, what its heartbeats say about
// its slots, and the firmware frames it has sent for jobs whose result has not arrived yet.
import type { WebSocket } from "ws";
import { SidecarToWorker, type FirmwareImage, type HelloMessage } from "@esphome-forge/shared";
import { closeReason } from "./close-reason.js";

export interface ReceivedFirmware {
  image: FirmwareImage;
  ok: boolean;
  error?: string;
}

/** Assignments the worker was told to drop, remembered so each is told once (bounded). */
const MAX_TOLD = 1024;

export class WorkerSession {
  readonly connectedAt: number;
  lastSeenAt: number;
  /** The last heartbeat (or the welcome): a worker silent for a whole lease is treated as lost. */
  lastHeartbeatAt: number;
  /** The worker's own slot count as its last heartbeat said (null until one does). */
  reportedSlots: number | null = null;
  /** Jobs the last heartbeat listed that the worker does not hold: they still occupy its slots. */
  strays = 0;
  /** It handed a job back for want of a slot: nothing more for it until its next heartbeat. */
  fullUntilHeartbeat = false;
  /** The `firmware` message whose bytes the next binary frame carries (fence null: refused, drop them). */
  pendingFirmware: { jobId: number; fence: string | null; image: FirmwareImage } | null = null;
  /** Firmware received per job (key `${jobId}:${fence}`) in arrival order, each settling once archived. */
  private readonly firmware = new Map<string, { sha256: string; received: Promise<ReceivedFirmware> }[]>();
  private readonly told = new Set<string>();
  closed = false;
  /** Free bytes in the worker's state folder (hello, then each heartbeat that carries it); null = unknown. */
  diskFreeBytes: number | null;

  constructor(
    readonly socket: WebSocket,
    readonly tokenId: string,
    public hello: HelloMessage,
    now: number,
  ) {
    this.connectedAt = now;
    this.lastSeenAt = now;
    this.lastHeartbeatAt = now;
    this.diskFreeBytes = hello.diskFreeBytes ?? null;
  }

  get id(): string {
    return this.hello.workerId;
  }

  send(msg: SidecarToWorker): void {
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return;
    // Validate outgoing messages too: the schema is the contract, for both directions.
    this.socket.send(JSON.stringify(SidecarToWorker.parse(msg)));
  }

  close(code: number, reason: string): void {
    this.closed = true;
    try {
      this.socket.close(code, closeReason(reason));
    } catch {
      this.socket.terminate();
    }
  }

  /** True the first time for an assignment: the worker is told to drop it once, not once per message. */
  firstTell(jobId: number, fence: string): boolean {
    const key = `${jobId}:${fence}`;
    if (this.told.has(key)) return false;
    if (this.told.size >= MAX_TOLD) this.told.clear();
    this.told.add(key);
    return true;
  }

  /** What arrived for the job, once every archive write still in flight has finished. */
  firmwareFor(jobId: number, fence: string): Promise<ReceivedFirmware[]> {
    return Promise.all((this.firmware.get(`${jobId}:${fence}`) ?? []).map((f) => f.received));
  }

  addFirmware(jobId: number, fence: string, sha256: string, received: Promise<ReceivedFirmware>): void {
    const key = `${jobId}:${fence}`;
    const list = this.firmware.get(key) ?? [];
    list.push({ sha256, received });
    this.firmware.set(key, list);
  }

  /** How many firmware frames arrived for the job's assignment on this connection. */
  framesFor(jobId: number, fence: string): number {
    return this.firmware.get(`${jobId}:${fence}`)?.length ?? 0;
  }

  forgetFirmware(jobId: number, fence: string): void {
    this.firmware.delete(`${jobId}:${fence}`);
  }

  /** Digests received for jobs whose result has not been handled yet (kept out of the archive's GC). */
  pendingDigests(): string[] {
    return [...this.firmware.values()].flatMap((list) => list.map((f) => f.sha256));
  }
}
