// A faithful fake build worker for attack tests against the real sidecar: it speaks the real worker
// protocol (checked by the shared schemas) but lets the test decide what it sends — a truncated or
// garbage provenance bundle, one signed by a key it never enrolled, bytes that differ from what it
// signed, messages about jobs it does not hold, a hello under another worker's id. It never flashes
// anything; the tests assert what the sidecar answers and records.
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import WebSocket from "ws";
import {
  helloProofText,
  SidecarToWorker,
  WORKER_PROTOCOL_VERSION,
  type ApprovalMessage,
  type AssignMessage,
  type FirmwareImage,
  type ResultMessage,
  type WorkerToSidecar,
} from "@esphome-forge/shared";
import { signBytes, type SigningKey } from "../src/trust/keys/keys.js";
import { signStatement } from "../src/trust/keys/sign.js";
import { buildProvenanceStatement } from "../src/trust/attest/statements.js";

export interface FakeWorkerOptions {
  url: string;
  token: string;
  workerId: string;
  /** The key announced at hello (enrolled by the sidecar on first use). */
  enrolKey: SigningKey;
  /** The public key PEM announced instead of enrolKey's (null: none at all). */
  announceKey?: string | null;
  slots?: number;
  tags?: string[];
  /** Send `started` for each assignment, as a real worker does (default true). */
  autoStart?: boolean;
  /** The version announced at hello (default "fake", which the version gate cannot compare and lets in). */
  version?: string;
}

type Ref = { jobId: number; fence: AssignMessage["fence"] };
type Received = SidecarToWorker;

export class FakeWorker {
  readonly ws: WebSocket;
  readonly welcomed: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Every message the sidecar sent, in order. */
  readonly received: Received[] = [];
  private readonly assigns: AssignMessage[] = [];
  private readonly approvals: ApprovalMessage[] = [];
  private readonly waiters = new Set<() => void>();
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly running = new Map<number, Ref>();
  /** Refs the heartbeat lists instead of the jobs this fake holds (set by the test). */
  heartbeatRefs: Ref[] | null = null;
  /** Called for each assignment (after `started`, when autoStart is on). */
  onAssign: ((a: AssignMessage) => void) | null = null;
  private barriers = 0;

  static digest(bytes: Buffer): string {
    return createHash("sha256").update(bytes).digest("hex");
  }

  constructor(private readonly o: FakeWorkerOptions) {
    this.ws = new WebSocket(`${o.url.replace(/^http/, "ws")}/api/v1/worker`, {
      headers: { authorization: `Bearer ${o.token}` },
    });
    this.closed = new Promise((resolve) =>
      this.ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    this.ws.on("error", () => undefined);
    this.welcomed = new Promise((resolve, reject) => {
      this.ws.once("open", () => this.send(this.hello()));
      this.ws.on("message", (data) => {
        const m = SidecarToWorker.parse(JSON.parse(data.toString()));
        this.received.push(m);
        if (m.type === "challenge") {
          // Proves the key it holds (enrolKey), whatever key its hello announced.
          const proof = signBytes(this.o.enrolKey, Buffer.from(helloProofText(this.o.workerId, m.nonce), "utf8"));
          this.send({ type: "proof", signature: proof.toString("base64") });
        } else if (m.type === "welcome") {
          this.heartbeat = setInterval(
            () => this.send({ type: "heartbeat", runningJobs: this.heartbeatRefs ?? [...this.running.values()] }),
            m.heartbeatMs,
          );
          resolve();
        } else if (m.type === "assign") {
          this.running.set(m.jobId, { jobId: m.jobId, fence: m.fence });
          if (this.o.autoStart !== false)
            this.send({ type: "started", jobId: m.jobId, fence: m.fence, phase: "compile" });
          this.assigns.push(m);
          this.onAssign?.(m);
        } else if (m.type === "approval") this.approvals.push(m);
        for (const w of this.waiters) w();
      });
      void this.closed.then((c) => reject(new Error(`closed ${c.code}: ${c.reason}`)));
    });
    this.welcomed.catch(() => undefined);
  }

  private hello(): WorkerToSidecar {
    const key = this.o.announceKey === undefined ? this.o.enrolKey.publicPem : this.o.announceKey;
    // A hello without a key is not a valid message: it is sent anyway, as an attacker would.
    return {
      type: "hello",
      protocolVersion: WORKER_PROTOCOL_VERSION,
      workerId: this.o.workerId,
      name: this.o.workerId,
      version: this.o.version ?? "fake",
      slots: this.o.slots ?? 1,
      tags: this.o.tags ?? [],
      platform: "linux",
      system: { hostname: hostname(), os: "linux", arch: "x64", cpus: 1, memoryBytes: 1, nodeVersion: process.version },
      esphomeVersions: [],
      warmDevices: [],
      runningJobs: [],
      ...(key === null ? {} : { signingKey: key }),
    } as WorkerToSidecar;
  }

  send(m: WorkerToSidecar): void {
    this.ws.send(JSON.stringify(m));
  }

  /** Sends raw text (for messages the schema would refuse to build). */
  sendRaw(text: string): void {
    this.ws.send(text);
  }

  async until<T>(pick: () => T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
    const found = pick();
    if (found !== undefined) return found;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`fake worker: timed out waiting for ${what}`));
      }, timeoutMs);
      const check = () => {
        const v = pick();
        if (v === undefined) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(v);
      };
      this.waiters.add(check);
    });
  }

  /** The first message of this type after index `from` matching `pred`. */
  next<T extends Received["type"]>(
    type: T,
    pred: (m: Extract<Received, { type: T }>) => boolean = () => true,
    from = 0,
  ): Promise<Extract<Received, { type: T }>> {
    return this.until(
      () =>
        this.received
          .slice(from)
          .find(
            (m): m is Extract<Received, { type: T }> => m.type === type && pred(m as Extract<Received, { type: T }>),
          ),
      `a ${type} message`,
    );
  }

  of<T extends Received["type"]>(type: T): Extract<Received, { type: T }>[] {
    return this.received.filter((m): m is Extract<Received, { type: T }> => m.type === type);
  }

  /**
   * Resolves once the sidecar has handled everything sent before: a hello after the welcome is always
   * answered with an `unexpected_hello` error, in order.
   */
  async barrier(): Promise<void> {
    const n = ++this.barriers;
    this.send(this.hello());
    await this.until(
      () => (this.of("error").filter((e) => e.code === "unexpected_hello").length >= n ? true : undefined),
      "the barrier",
    );
  }

  nextAssign(jobId: number): Promise<AssignMessage> {
    return this.until(() => this.assigns.find((a) => a.jobId === jobId), `assignment of job ${jobId}`);
  }

  approvalFor(ref: Ref): Promise<ApprovalMessage> {
    return this.until(
      () => this.approvals.find((a) => a.jobId === ref.jobId && a.fence === ref.fence),
      `approval of job ${ref.jobId}`,
    );
  }

  ackFor(ref: Ref): Promise<Extract<Received, { type: "ack" }>> {
    return this.next("ack", (a) => a.jobId === ref.jobId && a.fence === ref.fence);
  }

  /** Announces an image and sends its bytes (the binary frame right after). */
  sendFirmware(ref: Ref, name: string, bytes: Buffer, kind: FirmwareImage["kind"] = "ota"): FirmwareImage {
    const image: FirmwareImage = { name, sha256: FakeWorker.digest(bytes), size: bytes.length, kind };
    this.send({ type: "firmware", jobId: ref.jobId, fence: ref.fence, image });
    this.ws.send(bytes, { binary: true });
    return image;
  }

  /** Provenance as a real worker would sign it for this assignment and these images. */
  async provenance(
    a: AssignMessage,
    images: FirmwareImage[],
    key: SigningKey,
    workerId = this.o.workerId,
  ): Promise<string> {
    const now = new Date().toISOString();
    const statement = buildProvenanceStatement({
      deviceId: a.deviceId,
      deviceName: a.deviceName,
      configSha256: a.bundle?.digest ?? a.configHash ?? "0".repeat(64),
      esphomeVersion: a.esphomeVersion ?? "unknown",
      platform: null,
      board: null,
      workerId,
      jobId: a.jobId,
      startedAt: now,
      finishedAt: now,
      firmware: images,
      forgeVersion: "fake",
    });
    return JSON.stringify(await signStatement(statement, key));
  }

  result(ref: Ref, r: Partial<ResultMessage>): void {
    this.running.delete(ref.jobId);
    this.send({
      type: "result",
      jobId: ref.jobId,
      fence: ref.fence,
      outcome: "succeeded",
      phase: null,
      error: null,
      firmware: [],
      esphomeVersion: null,
      durationMs: 1,
      ...r,
    } as ResultMessage);
  }

  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.ws.terminate();
  }
}
