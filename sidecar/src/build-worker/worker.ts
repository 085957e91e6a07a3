// The build worker: one connection to the sidecar, the jobs it holds (JobTable), heartbeats
// that renew their leases, live reconfiguration, and an orderly stop (drain or now).
import { WORKER_PROTOCOL_VERSION, type HelloMessage, type SidecarToWorker } from "@esphome-forge/shared";
import { SIDECAR_VERSION } from "../util/version.js";
import { Backoff } from "@esphome-forge/shared";
import { BuildCache } from "./build-cache.js";
import { WorkerConnection } from "./connection.js";
import { DeviceLocks } from "./device-locks.js";
import { JobTable } from "./job-table.js";
import { formatMs } from "./job-runner.js";
import { WorkerEsphome } from "./esphome-versions/worker-esphome.js";
import { probeEsphomeVersions, usesBuildCommand, type BuildPhase } from "./phase-commands.js";
import { serverUrls } from "./server-url.js";
import { serverTrustFor } from "./server-tls.js";
import { addPin, readCredential, writeCredential } from "./credential.js";
import { freeDiskBytes, listWarmDevices, loadWorkerId, platformName, systemInfo } from "./worker-state.js";
import { WorkerTrust } from "./worker-trust.js";

export interface WorkerOptions {
  server: string;
  token: string;
  /** SHA-256 fingerprints of the sidecar TLS keys to pin (https); none: the certificate is CA-verified. */
  pins?: string[];
  /** Plain http:// to another machine is allowed (tokens and secrets in the clear). */
  insecureTransport?: boolean;
  name: string;
  slots: number;
  tags: string[];
  stateDir: string;
  buildCommand: string | null;
  esphomeBin: string | null;
  /** Interpreter for ESPHome venvs (--python / FORGE_PYTHON); null: discover a 3.11+ on PATH. */
  python?: string | null;
  /** How many installed ESPHome versions to keep (default 3). */
  keepEsphomeVersions?: number;
  /** Cap on the device build folders in MiB, least recently used evicted after each job (default 20000; 0 = none). */
  cacheMaxMb?: number;
  /** Extra environment variables builds may see (`--build-env`), beyond the allow-list. */
  buildEnv?: string[];
  /** Phases the build command stands in for (default: all of them). */
  buildCommandPhases?: BuildPhase[] | null;
  /** Longest one OTA attempt may take (default 120 s); a failed attempt is retried once. */
  otaTimeoutMs?: number;
  otaRetryDelayMs?: number;
  /** compile only generates the C++ project (`--only-generate`); for CI without toolchains. */
  onlyGenerate?: boolean;
  drainTimeoutMs: number;
  /** The sidecar's built-in worker (changes only how it logs). */
  local?: boolean;
  log?: (line: string) => void;
  /** Tuning, mostly for tests: reconnect delays (default 0.5 s → 30 s). */
  backoff?: { minMs?: number; maxMs?: number };
  /** Most log characters kept per job while the sidecar is unreachable (default 4 Mi). */
  offlineLogCapChars?: number;
}

export type WorkerEvent = "connected" | "disconnected" | "rejected" | "pending";

export interface WorkerHandle {
  readonly workerId: string;
  stop(mode: "drain" | "now"): Promise<void>;
  on(event: WorkerEvent, fn: (info: unknown) => void): void;
}

type Welcome = Extract<SidecarToWorker, { type: "welcome" }>;

/** After the last job ended, how long a stopping worker waits for the sidecar's acks. */
const ACK_GRACE_MS = 2000;

export function startWorker(opts: WorkerOptions): WorkerHandle {
  const worker = new BuildWorker(opts);
  worker.start();
  return worker;
}

class BuildWorker implements WorkerHandle {
  readonly workerId: string;
  private slots: number;
  private tags: string[];
  private esphomeVersions: string[] = [];
  private readonly locks = new DeviceLocks();
  private readonly listeners = new Map<WorkerEvent, Set<(info: unknown) => void>>();
  private readonly conn: WorkerConnection;
  private readonly jobs: JobTable;
  private readonly trust: WorkerTrust;
  private readonly cache: BuildCache;
  /** Real ESPHome versions for the jobs; null when the build command stands in for every phase. */
  private readonly esphome: WorkerEsphome | null;
  private readonly log: (line: string) => void;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private draining = false;
  private hurry = false;
  private ended = false;
  private stopping: Promise<void> | null = null;

  constructor(private readonly o: WorkerOptions) {
    const prefix = o.local ? "[local worker]" : `[worker ${o.name}]`;
    this.log = o.log ?? ((line) => console.log(`${new Date().toISOString()} ${prefix} ${line}`));
    this.slots = o.slots;
    this.tags = [...o.tags];
    this.workerId = loadWorkerId(o.stateDir, this.log);
    const urls = serverUrls(o.server);
    const serverTrust = serverTrustFor(o.server, o.pins ?? [], o.insecureTransport ?? false);
    this.conn = new WorkerConnection({
      wsUrl: urls.wsUrl,
      token: o.token,
      trust: serverTrust,
      hello: () => this.hello(),
      prove: (nonce, channel) => this.trust.prove(nonce, channel),
      backoff: new Backoff(o.backoff),
      log: this.log,
      events: {
        welcome: (m) => this.onWelcome(m),
        message: (m) => this.onMessage(m),
        invalid: (raw) => this.jobs.invalid(raw),
        disconnected: (info) => this.onDisconnected(info),
        fatal: (info) => this.onFatal(info),
        pending: (m) => {
          this.log(`${m.message}; key fingerprint ${m.fingerprint.replace(/(.{4})(?!$)/g, "$1 ")}`);
          this.emit("pending", { fingerprint: m.fingerprint });
        },
        serverKey: (fp) => {
          if (serverTrust.kind !== "pin") return;
          if (!serverTrust.pins.includes(fp)) serverTrust.pins.unshift(fp);
          addPin(o.stateDir, fp);
          this.log(`the sidecar announced its next TLS key (sha256 ${fp}); pinned it too`);
        },
      },
    });
    this.trust = new WorkerTrust(o.stateDir, this.workerId, this.conn, this.log);
    this.cache = new BuildCache({
      stateDir: o.stateDir,
      maxBytes: (o.cacheMaxMb ?? 20_000) * 1024 * 1024,
      locks: this.locks,
      log: this.log,
    });
    const realPhases = (["validate", "compile", "upload"] as const).some((p) => !usesBuildCommand(o, p));
    this.esphome = realPhases
      ? new WorkerEsphome({
          stateDir: o.stateDir,
          localBin: o.esphomeBin ?? "esphome",
          localVersion: probeEsphomeVersions({
            buildCommand: null,
            esphomeBin: o.esphomeBin,
            extraEnv: o.buildEnv ?? [],
          }).then((v) => v[0] ?? null),
          python: o.python ?? null,
          keep: o.keepEsphomeVersions ?? 3,
          extraEnv: o.buildEnv ?? [],
          onChange: () => this.versionsChanged(),
        })
      : null;
    this.jobs = new JobTable({
      conn: this.conn,
      trust: this.trust,
      runner: {
        stateDir: o.stateDir,
        httpBase: urls.httpBase,
        token: o.token,
        trust: serverTrust,
        buildCommand: o.buildCommand,
        buildCommandPhases: o.buildCommandPhases ?? null,
        esphomeBin: o.esphomeBin,
        extraEnv: o.buildEnv ?? [],
        otaTimeoutMs: o.otaTimeoutMs,
        otaRetryDelayMs: o.otaRetryDelayMs,
        onlyGenerate: o.onlyGenerate ?? false,
        versions: this.esphome,
      },
      locks: this.locks,
      log: this.log,
      offlineLogCapChars: o.offlineLogCapChars,
      capacity: () => ({ slots: this.slots, accepting: !this.draining && !this.ended }),
      afterJob: (deviceId) => void this.cache.jobEnded(deviceId),
    });
  }

  start(): void {
    this.log(`worker ${this.workerId} connecting to ${this.o.server} with ${this.slots} slot(s)`);
    this.conn.start();
    // The version probe runs alongside; heartbeats carry the answer once known.
    const probed = this.esphome
      ? this.esphome.localVersion().then(() => this.esphome!.reported())
      : probeEsphomeVersions({ ...this.o, extraEnv: this.o.buildEnv ?? [] });
    void probed.then((v) => {
      if (this.ended) return;
      if (v.length) this.log(`ESPHome ${v.join(", ")}`);
      this.versionsChanged(v);
    });
  }

  /** Reports the ESPHome versions now (installed or removed ones, or the probe's answer). */
  private versionsChanged(probed?: string[]): void {
    this.esphomeVersions = this.esphome ? this.esphome.reported() : (probed ?? this.esphomeVersions);
    if (this.heartbeatTimer) this.heartbeat(); // tell the sidecar now rather than at the next beat
  }

  on(event: WorkerEvent, fn: (info: unknown) => void): void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn);
  }

  stop(mode: "drain" | "now"): Promise<void> {
    if (mode === "now") this.hurry = true; // also cuts short a drain already under way
    this.stopping ??= this.shutdown(mode);
    return this.stopping;
  }

  private hello(): HelloMessage {
    return {
      type: "hello",
      protocolVersion: WORKER_PROTOCOL_VERSION,
      workerId: this.workerId,
      name: this.o.name,
      version: SIDECAR_VERSION,
      slots: this.draining ? 0 : this.slots, // a draining worker that reconnects takes no new work
      tags: this.tags,
      platform: platformName(),
      system: systemInfo(),
      esphomeVersions: this.esphomeVersions,
      warmDevices: listWarmDevices(this.o.stateDir),
      runningJobs: this.jobs.heldRefs(),
      signingKey: this.trust.key.publicPem,
      ...(this.trust.next ? { nextKey: this.trust.next.publicPem } : {}),
      diskFreeBytes: freeDiskBytes(this.o.stateDir),
    };
  }

  private onWelcome(w: Welcome): void {
    this.trust.gate = w.trust?.gate ?? false;
    this.trust.keysSettled(w.trust?.keyHint, w.trust?.nextKey);
    this.settlePins();
    this.jobs.welcome(w.abandonJobs);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = setInterval(() => this.heartbeat(), w.heartbeatMs);
    this.heartbeat();
    this.log(`connected as ${this.workerId} (heartbeat every ${formatMs(w.heartbeatMs)})`);
    const { heartbeatMs, leaseMs, continueJobs, abandonJobs } = w;
    this.emit("connected", { workerId: this.workerId, heartbeatMs, leaseMs, continueJobs, abandonJobs });
  }

  /**
   * Connected to a key we pinned: once the sidecar rotated to its new key, the old pin is dropped, so a
   * copy of the old key (a reason to rotate) opens nothing any more.
   */
  private settlePins(): void {
    const fp = this.conn.serverFingerprint;
    const c = fp ? readCredential(this.o.stateDir) : null;
    if (!c || !fp || c.pins.length < 2 || !c.pins.includes(fp)) return;
    writeCredential(this.o.stateDir, { ...c, pins: [fp] });
  }

  private heartbeat(): void {
    this.conn.send({
      type: "heartbeat",
      runningJobs: this.jobs.runningRefs(),
      slots: this.draining ? 0 : this.slots,
      esphomeVersions: this.esphomeVersions,
      diskFreeBytes: freeDiskBytes(this.o.stateDir),
    });
  }

  private onDisconnected(info: { code: number; reason: string; retryInMs: number }): void {
    this.stopHeartbeat();
    if (this.ended) return;
    const why = info.reason ? `: ${info.reason}` : "";
    this.log(`disconnected from the sidecar (code ${info.code}${why}); retrying in ${formatMs(info.retryInMs)}`);
    this.emit("disconnected", info);
  }

  private onFatal(info: { code: number; reason: string }): void {
    this.log(`the sidecar refused this worker (code ${info.code}): ${info.reason}`);
    this.ended = true;
    this.stopHeartbeat();
    this.jobs.dropAll(); // nobody can receive their results
    this.emit("rejected", info);
  }

  private onMessage(m: SidecarToWorker): void {
    switch (m.type) {
      case "assign":
        return this.jobs.assign(m);
      case "cancel":
        return this.jobs.cancel(m);
      case "abandon":
        return this.jobs.abandon(m);
      case "ack":
        return this.jobs.ack(m);
      case "log_ack":
        return this.jobs.logAck(m);
      case "approval":
        return; // never asked for: a builder does not flash (an old sidecar's leftover)
      case "configure":
        // Applies to the next assignments; running jobs carry on even when slots shrink.
        if (m.slots !== undefined) this.slots = m.slots;
        if (m.tags !== undefined) this.tags = [...m.tags];
        this.log(`configured: ${this.slots} slot(s), tags [${this.tags.join(", ")}]`);
        return;
      case "clean_cache":
        void this.cache.clean(m.deviceId);
        return;
      default:
        return;
    }
  }

  private async shutdown(mode: "drain" | "now"): Promise<void> {
    this.draining = true;
    if (!this.ended) {
      let reason = "the worker is shutting down";
      if (mode === "drain" && !this.jobs.isEmpty) {
        this.log(
          `draining: waiting up to ${formatMs(this.o.drainTimeoutMs)} for ${this.jobs.busySlots()} running job(s)`,
        );
        // Finished means acknowledged too: a result still in flight may need a reconnect to arrive.
        const done = await this.waitUntil(() => this.jobs.isEmpty, this.o.drainTimeoutMs);
        if (!done && !this.hurry)
          reason = `the worker is shutting down: drain timeout of ${formatMs(this.o.drainTimeoutMs)} reached`;
      }
      await this.jobs.releaseRunning(reason);
      await this.waitUntil(() => !this.conn.ready || !this.jobs.awaitingAcks(), ACK_GRACE_MS, false);
    }
    this.ended = true;
    this.stopHeartbeat();
    await this.conn.close(1000, "worker stopping");
    await this.jobs.settled();
    this.jobs.disposeAll();
    this.log("stopped");
  }

  /** Polls `pred` until true (→ true), the time is up or a `stop("now")` cuts in (→ false). */
  private async waitUntil(pred: () => boolean, ms: number, interruptible = true): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() >= deadline || (interruptible && this.hurry)) return false;
      await new Promise((r) => setTimeout(r, 25));
    }
    return true;
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private emit(event: WorkerEvent, info: unknown): void {
    for (const fn of this.listeners.get(event) ?? []) fn(info);
  }
}
