// A faithful fake of the sidecar's end of the worker socket, for the worker's own tests: it
// speaks the real protocol through the shared schemas (and records anything the worker sends
// that fails them), pairs each `firmware` message with the binary frame that must follow it,
// and serves GET /api/v1/firmware/<sha256>. The real sidecar is exercised by sidecar/test/.
import { createHash, createPublicKey, randomBytes, verify } from "node:crypto";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import {
  helloProofText,
  SidecarToWorker,
  WORKER_PROTOCOL_VERSION,
  WorkerCloseCode,
  WorkerToSidecar,
  type FirmwareImage,
  type HelloMessage,
} from "@esphome-forge/shared";

export type Received = WorkerToSidecar & { conn: number; at: number };

export interface ReceivedFirmware {
  conn: number;
  jobId: number;
  fence: string;
  image: FirmwareImage;
  bytes: Buffer;
  /** sha256 of the bytes as received. */
  sha256: string;
}

type JobRef = { jobId: number; fence: string };

export interface FakeSidecarOptions {
  token?: string;
  protocolVersion?: number;
  heartbeatMs?: number;
  leaseMs?: number;
  /** Which jobs named in hello may continue (default: all). */
  decide?: (hello: HelloMessage) => { continueJobs: JobRef[]; abandonJobs: JobRef[] };
  /** Refuse the upgrade itself with this HTTP status (a proxy or an older sidecar might). */
  httpRefuse?: number;
}

export class FakeSidecar {
  readonly received: Received[] = [];
  readonly firmware: ReceivedFirmware[] = [];
  /** Problems with what the worker sent: schema failures, binary frames out of place. */
  readonly violations: string[] = [];
  /** Firmware served to upload jobs, by sha256. */
  readonly served = new Map<string, Buffer>();
  /** Acknowledge every result at once (accepted=true). */
  autoAck = true;
  /** Acknowledge every log chunk at once (`log_ack`), as the sidecar does once it stored it. */
  autoAckLogs = true;
  /** When false, new connections are closed right away with 4010 (a sidecar on its way down). */
  accepting = true;
  connections = 0;
  socket: WebSocket | null = null;
  private pendingFirmware: { conn: number; jobId: number; fence: string; image: FirmwareImage } | null = null;
  /** Per connection: the hello waiting for its proof, and the nonce it must sign. */
  private readonly challenged = new Map<number, { hello: HelloMessage; nonce: string }>();

  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    readonly opts: FakeSidecarOptions,
  ) {}

  static async start(opts: FakeSidecarOptions = {}): Promise<FakeSidecar> {
    const http = createServer();
    const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
    const fake = new FakeSidecar(http, wss, opts);
    http.on("request", (req, res) => fake.onRequest(req.url ?? "", req.headers.authorization ?? "", res));
    http.on("upgrade", (req, socket, head) => {
      if (req.url !== "/api/v1/worker") {
        socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
        return;
      }
      if (opts.httpRefuse) {
        fake.connections++;
        const body = JSON.stringify({ error: { code: "unauthorized", message: "worker token revoked" } });
        socket.end(
          `HTTP/1.1 ${opts.httpRefuse} Refused\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
        );
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => fake.onConnection(ws, req.headers.authorization ?? ""));
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  get token(): string {
    return this.opts.token ?? "worker-secret";
  }

  of<T extends Received["type"]>(type: T): Extract<Received, { type: T }>[] {
    return this.received.filter((m): m is Extract<Received, { type: T }> => m.type === type);
  }

  /** Resolves with the first received message (past or future) matching `pred`. */
  async waitFor<T extends Received>(pred: (m: Received) => m is T, timeoutMs?: number): Promise<T>;
  async waitFor(pred: (m: Received) => boolean, timeoutMs?: number): Promise<Received>;
  async waitFor(pred: (m: Received) => boolean, timeoutMs = 15_000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.received.find(pred);
      if (hit) return hit;
      if (Date.now() > deadline)
        throw new Error(`fake sidecar: no matching message within ${timeoutMs} ms; got ${this.summary()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  summary(): string {
    return this.received.map((m) => `${m.conn}:${m.type}${"jobId" in m ? `#${m.jobId}` : ""}`).join(" ");
  }

  /** Sends a message, checked against the shared schema like the real sidecar does. */
  send(msg: SidecarToWorker): void {
    this.sendRaw(SidecarToWorker.parse(msg));
  }

  /** Sends anything at all (to test how the worker treats invalid input). */
  sendRaw(msg: unknown): void {
    if (!this.socket) throw new Error("fake sidecar: no worker connected");
    this.socket.send(JSON.stringify(msg));
  }

  /** Drops the current connection as a network failure would (no close frame). */
  dropConnection(): void {
    this.socket?.terminate();
    this.socket = null;
  }

  closeConnection(code: number, reason: string): void {
    this.socket?.close(code, reason);
    this.socket = null;
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private onRequest(url: string, auth: string, res: ServerResponse): void {
    const m = /^\/api\/v1\/firmware\/([0-9a-f]{64})$/.exec(url);
    if (auth !== `Bearer ${this.token}`) {
      res
        .writeHead(401, { "content-type": "application/json" })
        .end(JSON.stringify({ error: { code: "unauthorized", message: "bad token" } }));
      return;
    }
    const bytes = m ? this.served.get(m[1]!) : undefined;
    if (!bytes) {
      res
        .writeHead(404, { "content-type": "application/json" })
        .end(JSON.stringify({ error: { code: "not_found", message: "no such firmware" } }));
      return;
    }
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": bytes.length }).end(bytes);
  }

  private onConnection(ws: WebSocket, auth: string): void {
    const conn = ++this.connections;
    if (!this.accepting) {
      ws.close(WorkerCloseCode.shuttingDown, "sidecar shutting down");
      return;
    }
    if (auth !== `Bearer ${this.token}`) {
      ws.send(
        JSON.stringify({
          type: "error",
          code: "unauthorized",
          message: "unknown worker token; create one with `esphome-forge token create`",
        }),
      );
      ws.close(WorkerCloseCode.unauthorized, "unauthorized");
      return;
    }
    this.socket = ws;
    this.pendingFirmware = null;
    ws.on("message", (data, isBinary) => this.onMessage(ws, conn, data, isBinary));
    ws.on("close", () => {
      if (this.socket === ws) this.socket = null;
    });
  }

  private onMessage(ws: WebSocket, conn: number, data: RawData, isBinary: boolean): void {
    const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (isBinary) {
      const p = this.pendingFirmware;
      this.pendingFirmware = null;
      if (!p) {
        this.violations.push("binary frame without a firmware message right before it");
        return;
      }
      const sha256 = createHash("sha256").update(buf).digest("hex");
      this.firmware.push({ conn, jobId: p.jobId, fence: p.fence, image: p.image, bytes: buf, sha256 });
      return;
    }
    if (this.pendingFirmware)
      this.violations.push(`a text frame came between firmware ${this.pendingFirmware.image.name} and its bytes`);
    this.pendingFirmware = null;
    const parsed = WorkerToSidecar.safeParse(JSON.parse(buf.toString("utf8")));
    if (!parsed.success) {
      this.violations.push(`invalid message: ${buf.toString("utf8").slice(0, 200)}: ${parsed.error.message}`);
      return;
    }
    const msg = parsed.data;
    this.received.push({ ...msg, conn, at: Date.now() });
    if (msg.type === "hello") this.onHello(ws, conn, msg);
    if (msg.type === "proof") this.onProof(ws, conn, msg.signature);
    if (msg.type === "firmware") this.pendingFirmware = { conn, jobId: msg.jobId, fence: msg.fence, image: msg.image };
    if (msg.type === "result" && this.autoAck) this.ack(msg.jobId, msg.fence, true);
    if (msg.type === "log" && this.autoAckLogs)
      this.send({ type: "log_ack", jobId: msg.jobId, fence: msg.fence, seq: msg.seq });
    if (msg.type === "release") this.ack(msg.jobId, msg.fence, true);
  }

  ack(jobId: number, fence: string, accepted: boolean): void {
    this.send({ type: "ack", jobId, fence, accepted, reason: accepted ? null : "stale fence" });
  }

  private onHello(ws: WebSocket, conn: number, hello: HelloMessage): void {
    const version = this.opts.protocolVersion ?? WORKER_PROTOCOL_VERSION;
    if (hello.protocolVersion !== version) {
      const message = `worker speaks protocol version ${hello.protocolVersion}, this sidecar speaks version ${version}; upgrade the older side`;
      ws.send(JSON.stringify({ type: "error", code: "protocol_mismatch", message }));
      ws.close(WorkerCloseCode.protocolMismatch, message.slice(0, 120));
      return;
    }
    // Like the real sidecar: the worker proves its key before it is welcomed.
    const nonce = randomBytes(32).toString("base64url");
    this.challenged.set(conn, { hello, nonce });
    ws.send(JSON.stringify(SidecarToWorker.parse({ type: "challenge", nonce })));
  }

  private onProof(ws: WebSocket, conn: number, signature: string): void {
    const c = this.challenged.get(conn);
    this.challenged.delete(conn);
    if (!c) {
      this.violations.push("proof without a challenge");
      return;
    }
    const { hello, nonce } = c;
    const text = Buffer.from(helloProofText(hello.workerId, nonce), "utf8");
    if (!verify("sha256", text, createPublicKey(hello.signingKey), Buffer.from(signature, "base64")))
      this.violations.push("the worker's proof does not verify against the key in its hello");
    const version = this.opts.protocolVersion ?? WORKER_PROTOCOL_VERSION;
    const decided = this.opts.decide?.(hello) ?? { continueJobs: hello.runningJobs, abandonJobs: [] };
    ws.send(
      JSON.stringify({
        type: "welcome",
        protocolVersion: version,
        workerId: hello.workerId,
        leaseMs: this.opts.leaseMs ?? 30_000,
        heartbeatMs: this.opts.heartbeatMs ?? 10_000,
        ...decided,
      } satisfies SidecarToWorker),
    );
  }
}
