// In-process fan-out of state changes. Every delta gets a sequence number so a client that
// receives a snapshot with seq N knows which later deltas it has already seen reflected.
import { EventEmitter } from "node:events";
import type {
  Alert,
  DeltaEvent,
  Device,
  EsphomeRelease,
  Job,
  Schedule,
  Worker,
  WorkspaceStatus,
} from "@esphome-forge/shared";

export interface LogChunkEvent {
  jobId: number;
  offset: number;
  chunk: string;
  truncatedBefore?: boolean;
}

export class EventBus {
  private seq = 0;
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per events-socket client; hundreds are normal.
    this.emitter.setMaxListeners(0);
  }

  get currentSeq(): number {
    return this.seq;
  }

  device(op: "upsert" | "remove", id: string, device: Device | null): void {
    this.emit({ type: "device", seq: ++this.seq, op, id, device });
  }

  job(job: Job): void {
    this.emit({ type: "job", seq: ++this.seq, op: "upsert", id: job.id, job });
  }

  jobRemoved(id: number): void {
    this.emit({ type: "job", seq: ++this.seq, op: "remove", id, job: null });
  }

  worker(op: "upsert" | "remove", id: string, worker: Worker | null): void {
    this.emit({ type: "worker", seq: ++this.seq, op, id, worker });
  }

  schedule(op: "upsert" | "remove", id: number, schedule: Schedule | null): void {
    this.emit({ type: "schedule", seq: ++this.seq, op, id, schedule });
  }

  alert(op: "upsert" | "remove", id: string, alert: Alert | null): void {
    this.emit({ type: "alert", seq: ++this.seq, op, id, alert });
  }

  release(release: EsphomeRelease | null): void {
    this.emit({ type: "release", seq: ++this.seq, release });
  }

  workspace(status: WorkspaceStatus): void {
    this.emit({ type: "workspace", seq: ++this.seq, status });
  }

  log(event: LogChunkEvent): void {
    this.emitter.emit("log", event);
  }

  onDelta(fn: (e: DeltaEvent) => void): () => void {
    this.emitter.on("delta", fn);
    return () => this.emitter.off("delta", fn);
  }

  onLog(fn: (e: LogChunkEvent) => void): () => void {
    this.emitter.on("log", fn);
    return () => this.emitter.off("log", fn);
  }

  private emit(e: DeltaEvent): void {
    this.emitter.emit("delta", e);
  }
}
