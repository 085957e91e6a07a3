// The sidecar end of the build-worker socket (/api/v1/worker): the token is authenticated at the
// upgrade (edge/upgrade-gate.ts); here the protocol version is checked, the worker proves its identity
// (hello → challenge → proof, WorkerIdentity), passes the version gate (MIN_WORKER_VERSION, close 4002),
// is answered with welcome, and its job messages go to
// WorkerMessages. A worker silent for a whole lease is dropped as lost. Jobs are pushed to workers by
// the Dispatcher; workers never poll.
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import {
  HelloMessage,
  MAX_WORKER_TEXT_MESSAGE_BYTES,
  ProofMessage,
  SidecarToWorker,
  WORKER_PROTOCOL_VERSION,
  WorkerCloseCode,
  WorkerToSidecar,
  workerVersionProblem,
  type HelloMessage as Hello,
} from "@esphome-forge/shared";
import type { UpgradeAuth, UpgradeEndpoint } from "../edge/upgrade-gate.js";
import type { DiskState } from "../durability/disk-state.js";
import type { EventBus } from "../events/event-bus.js";
import type { JobQueue } from "../queue/job-queue.js";
import type { Clock } from "../util/clock.js";
import type { WorkerMessages } from "./worker-messages.js";
import type { WorkerRegistry } from "./worker-registry.js";
import { bearer } from "../util/admin-token.js";
import { describeIssues } from "../util/describe-issues.js";
import { closeReason } from "./close-reason.js";
import type { WorkerIdentity } from "./worker-identity.js";
import { WorkerSession } from "./worker-session.js";
import type { WorkerTokens } from "./worker-tokens.js";
import type { WorkerTrustGate } from "./worker-trust-gate.js";

const HELLO_TIMEOUT_MS = 10_000;
/** Firmware images arrive as one binary frame each; ESP32 factory images are a few MB. */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export interface WorkerHubOptions {
  queue: JobQueue;
  registry: WorkerRegistry;
  tokens: WorkerTokens;
  messages: WorkerMessages;
  bus: EventBus;
  clock: Clock;
  leaseMs: () => number;
  /** Token id of the built-in local worker, so it is shown as local. */
  localTokenId: () => string | null;
  onCapacityChange: () => void;
  log: (msg: string) => void;
  /** Who may use a worker id: token binding, enrolled key, proof of possession. */
  identity: WorkerIdentity;
  /** Content trust: turns on the compile_upload gate. */
  trust: WorkerTrustGate;
  /** The data folder's disk, told about writes that fail for lack of space. */
  disk?: Pick<DiskState, "report">;
}

export class WorkerHub implements UpgradeEndpoint<string> {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });

  constructor(private readonly o: WorkerHubOptions) {}

  /**
   * The worker token is checked at the HTTP upgrade (edge/upgrade-gate.ts): a client without a
   * valid token gets a 401 and never a socket, so the large frame limit above (firmware images)
   * only ever applies to authenticated workers. The principal is the token's id.
   */
  authenticate(req: IncomingMessage): UpgradeAuth<string> {
    const header = req.headers.authorization;
    const token = bearer(header);
    if (!token)
      return {
        ok: false,
        presented: header !== undefined,
        message: "missing worker token (Authorization: Bearer efw_…)",
      };
    const auth = this.o.tokens.authenticate(token);
    if (!auth.ok)
      return { ok: false, presented: true, message: `${auth.reason}; create one with \`esphome-forge token create\`` };
    return { ok: true, principal: auth.tokenId };
  }

  accept(req: IncomingMessage, socket: Duplex, head: Buffer, tokenId: string, addr: string): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, tokenId, addr));
  }

  /** Closes every session whose token was just revoked. */
  disconnectToken(tokenId: string): void {
    for (const s of this.o.registry.sessionsForToken(tokenId))
      s.close(WorkerCloseCode.unauthorized, "worker token revoked");
  }

  close(): void {
    for (const s of this.o.registry.online()) s.close(WorkerCloseCode.shuttingDown, "sidecar shutting down");
    this.wss.close();
  }

  /**
   * Workers whose socket is open but that sent no heartbeat for a whole lease (frozen, hung, or a link
   * that died without a close) are lost: dropped at once, so nothing more is sent to them; their jobs'
   * leases lapse at the same time and go elsewhere. A worker that wakes up reconnects and is told which
   * of its jobs it no longer holds.
   */
  dropSilent(now: number): void {
    const limit = this.o.leaseMs();
    for (const s of this.o.registry.online()) {
      if (now - s.lastHeartbeatAt <= limit) continue;
      this.o.log(
        `worker ${s.id} sent no heartbeat for ${Math.round((now - s.lastHeartbeatAt) / 1000)} s; treating it as lost`,
      );
      this.o.registry.detach(s);
      s.close(WorkerCloseCode.unresponsive, "no heartbeat for a whole lease; reconnect");
      // A frozen peer never answers the close handshake: cut the connection.
      setTimeout(() => s.socket.terminate(), 1000).unref();
      this.o.bus.worker("upsert", s.id, this.o.registry.view(s.id));
      this.o.onCapacityChange();
    }
  }

  private onConnection(ws: WebSocket, tokenId: string, addr: string): void {
    // First of all: a malformed frame makes `ws` emit `error` (then close with 1002/1007/1009).
    ws.on("error", (err) => this.o.log(`worker socket from ${addr}: ${err.message}`));
    const timer = setTimeout(
      () => sendAndClose(ws, WorkerCloseCode.invalidMessage, "hello_timeout", "no hello within 10 s"),
      HELLO_TIMEOUT_MS,
    );
    ws.once("close", () => clearTimeout(timer));
    ws.once("message", (data, isBinary) => {
      clearTimeout(timer);
      const hello = parseHello(data, isBinary);
      if ("error" in hello) {
        sendAndClose(ws, hello.code, hello.codeName, hello.error);
        return;
      }
      this.start(ws, tokenId, hello.hello);
    });
  }

  /** After hello: the worker proves it holds its key, then WorkerIdentity decides whether it may use the id. */
  private start(ws: WebSocket, tokenId: string, hello: Hello): void {
    const nonce = this.o.identity.nonce();
    const timer = setTimeout(
      () => sendAndClose(ws, WorkerCloseCode.invalidMessage, "proof_timeout", "no proof within 10 s"),
      HELLO_TIMEOUT_MS,
    );
    ws.once("close", () => clearTimeout(timer));
    ws.once("message", (data, isBinary) => {
      clearTimeout(timer);
      const proof = isBinary ? null : ProofMessage.safeParse(parseJson(data)).data;
      if (!proof) {
        sendAndClose(ws, WorkerCloseCode.invalidMessage, "invalid_proof", "the answer to challenge must be a proof");
        return;
      }
      try {
        const admitted = this.o.identity.admit(hello, tokenId, nonce, proof.signature);
        if (!admitted.ok) {
          this.o.log(`worker ${hello.workerId} refused: ${admitted.reason}`);
          sendAndClose(ws, WorkerCloseCode.unauthorized, admitted.code, admitted.reason);
          return;
        }
        this.welcome(ws, tokenId, hello, admitted.enrolled);
      } catch (err) {
        // Enrolling the key, recording the worker, renewing its leases are writes: on a full disk the
        // worker is told to come back (1013 "try again later"; it reconnects with its backoff).
        if (!this.o.disk?.report(err, `accepting worker ${hello.workerId}`)) throw err;
        sendAndClose(ws, 1013, "disk_full", "the sidecar's disk is full; try again later");
      }
    });
    ws.send(JSON.stringify(SidecarToWorker.parse({ type: "challenge", nonce })));
  }

  private welcome(ws: WebSocket, tokenId: string, hello: Hello, enrolled: boolean): void {
    const { registry, queue, clock } = this.o;
    // The version gate, once the worker proved its id (WorkerIdentity, above): an outdated worker is told why
    // and which minimum, and listed as outdated. After the proof, so a token holder cannot mark (or rebind)
    // another worker's id by claiming an old version for it.
    const tooOld = workerVersionProblem(hello.version);
    if (tooOld) {
      this.o.log(`worker ${hello.workerId} (${hello.name}) refused: ${tooOld}`);
      registry.recordRefused(hello, tokenId, tooOld);
      if (!registry.session(hello.workerId)) this.o.bus.worker("upsert", hello.workerId, registry.view(hello.workerId));
      sendAndClose(ws, WorkerCloseCode.outdated, "worker_outdated", tooOld);
      return;
    }
    const session = new WorkerSession(ws, tokenId, hello, clock.now());
    const previous = registry.attach(session, tokenId === this.o.localTokenId());
    previous?.close(WorkerCloseCode.replaced, "replaced by a new connection of the same worker");
    ws.on("close", () => {
      session.closed = true;
      if (registry.detach(session)) {
        this.o.log(`worker ${session.id} disconnected`);
        this.o.bus.worker("upsert", session.id, registry.view(session.id));
      }
    });

    // Of the jobs the worker says it still has: the ones it holds carry on, the others it drops; the
    // ones it holds here but no longer has go back to the queue.
    const { continueJobs, abandonJobs, lost } = queue.reconnect(session.id, hello.runningJobs);
    for (const job of lost) this.o.log(`job ${job.id}: worker ${session.id} reconnected without it; ${job.state}`);
    session.send({
      type: "welcome",
      protocolVersion: WORKER_PROTOCOL_VERSION,
      workerId: session.id,
      leaseMs: this.o.leaseMs(),
      heartbeatMs: Math.max(250, Math.floor(this.o.leaseMs() / 3)),
      continueJobs,
      abandonJobs,
      trust: this.o.trust.welcome(enrolled),
    });
    // What the user set for this worker (slots, locked tags) wins over what it started with: say it again.
    const wanted = registry.overridesOf(session.id);
    const slotsDiffer = wanted.slots !== undefined && wanted.slots !== hello.slots;
    const tagsDiffer = wanted.tags !== undefined && wanted.tags.join(",") !== hello.tags.join(",");
    if (slotsDiffer || tagsDiffer) session.send({ type: "configure", ...wanted });
    this.o.log(`worker ${session.id} (${hello.name}) connected with ${registry.slotsOf(session)} slot(s)`);
    this.o.bus.worker("upsert", session.id, registry.view(session.id));

    ws.on("message", (data, isBinary) => this.onMessage(session, data, isBinary));
    this.o.onCapacityChange();
  }

  private onMessage(session: WorkerSession, data: RawData, isBinary: boolean): void {
    try {
      this.dispatchMessage(session, data, isBinary);
    } catch (err) {
      // A full disk fails the write (a lease renewal, a phase) but never the sidecar: the state is
      // raised and the message's effect is lost, as if it had been dropped on the way.
      if (!this.o.disk?.report(err, `handling a message from worker ${session.id}`)) throw err;
    }
  }

  private dispatchMessage(session: WorkerSession, data: RawData, isBinary: boolean): void {
    session.lastSeenAt = this.o.clock.now();
    if (isBinary) {
      this.o.messages.onFirmwareBytes(session, toBuffer(data));
      return;
    }
    const text = toBuffer(data);
    // Refused on its size before it is parsed: an oversized message costs nothing.
    if (text.length > MAX_WORKER_TEXT_MESSAGE_BYTES) {
      const message = `message of ${text.length} bytes refused; the limit is ${MAX_WORKER_TEXT_MESSAGE_BYTES} bytes`;
      session.send({ type: "error", code: "message_too_large", message });
      return;
    }
    const json = parseJson(text);
    if (json === undefined) {
      session.send({ type: "error", code: "invalid_json", message: "message is not JSON" });
      return;
    }
    const parsed = WorkerToSidecar.safeParse(json);
    if (!parsed.success) {
      session.send({ type: "error", code: "invalid_message", message: describeIssues(parsed.error.issues) });
      return;
    }
    this.o.messages.handle(session, parsed.data);
  }
}

type HelloResult = { hello: Hello } | { error: string; code: number; codeName: string };

function parseHello(data: RawData, isBinary: boolean): HelloResult {
  const bad = (error: string): HelloResult => ({
    error,
    code: WorkerCloseCode.invalidMessage,
    codeName: "invalid_hello",
  });
  if (isBinary) return bad("the first message must be a JSON hello");
  let json: unknown;
  try {
    json = JSON.parse(toBuffer(data).toString("utf8"));
  } catch {
    return bad("the first message must be a JSON hello");
  }
  const version = (json as { protocolVersion?: unknown } | null)?.protocolVersion;
  if ((json as { type?: unknown } | null)?.type === "hello" && version !== WORKER_PROTOCOL_VERSION) {
    return {
      error: `worker speaks protocol version ${String(version)}, this sidecar speaks version ${WORKER_PROTOCOL_VERSION}; upgrade the older side`,
      code: WorkerCloseCode.protocolMismatch,
      codeName: "protocol_mismatch",
    };
  }
  const parsed = HelloMessage.safeParse(json);
  if (!parsed.success) return bad(`invalid hello: ${describeIssues(parsed.error.issues)}`);
  return { hello: parsed.data };
}

/** The JSON in a text frame, or undefined when it is not JSON. */
function parseJson(data: RawData): unknown {
  try {
    return JSON.parse(toBuffer(data).toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}

function sendAndClose(ws: WebSocket, code: number, codeName: string, message: string): void {
  try {
    ws.send(JSON.stringify({ type: "error", code: codeName, message }));
  } finally {
    ws.close(code, closeReason(message));
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
