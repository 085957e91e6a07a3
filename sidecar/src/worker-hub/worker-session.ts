// One connected build worker: its socket, what it announced in hello, and the firmware frames
// it has sent for jobs whose result has not arrived yet.
import type { WebSocket } from "ws";
import { SidecarToWorker, type FirmwareImage, type HelloMessage } from "@esphome-forge/shared";
import { closeReason } from "./close-reason.js";

export interface ReceivedFirmware {
  image: FirmwareImage;
  ok: boolean;
  error?: string;
}

export class WorkerSession {
  readonly connectedAt: number;
  lastSeenAt: number;
  /** The `firmware` message whose bytes the next binary frame carries. */
  pendingFirmware: { jobId: number; fence: number; image: FirmwareImage } | null = null;
  /** Firmware received per job (key `${jobId}:${fence}`) in arrival order, each settling once archived. */
  private readonly firmware = new Map<string, Promise<ReceivedFirmware>[]>();
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

  /** What arrived for the job, once every archive write still in flight has finished. */
  firmwareFor(jobId: number, fence: number): Promise<ReceivedFirmware[]> {
    return Promise.all(this.firmware.get(`${jobId}:${fence}`) ?? []);
  }

  addFirmware(jobId: number, fence: number, fw: ReceivedFirmware | Promise<ReceivedFirmware>): void {
    const key = `${jobId}:${fence}`;
    const list = this.firmware.get(key) ?? [];
    list.push(Promise.resolve(fw));
    this.firmware.set(key, list);
  }

  forgetFirmware(jobId: number, fence: number): void {
    this.firmware.delete(`${jobId}:${fence}`);
  }
}
