// Every worker the sidecar knows: the live sessions, and the persisted rows that remember
// workers across disconnects and restarts (name, the token it belongs to, system info, slot/tag
// overrides set by the user, why its last connection was refused). Slot accounting follows what the
// worker itself last said it runs; a worker low on disk gets no jobs.
import { workerVersionProblem, type HelloMessage, type Worker, type WorkerRole } from "@esphome-forge/shared";
import type { Db } from "../db/database.js";
import type { JobQueue } from "../queue/job-queue.js";
import type { Clock } from "../util/clock.js";
import { NotFoundError } from "../util/errors.js";
import type { EnrolmentView } from "./worker-enrolment.js";
import type { WorkerSession } from "./worker-session.js";
import { rolesFrom } from "./worker-roles.js";

/** A connected worker's terms for the dispatcher (WorkerRegistry.terms). */
export interface WorkerTerms {
  slots: number;
  tags: string[];
  roles: WorkerRole[];
  /** It was the sidecar's built-in local worker (as last recorded). */
  local: boolean;
}

interface WorkerRow {
  id: string;
  name: string;
  token_id: string | null;
  slots_override: number | null;
  tags_override: string | null;
  info: string | null;
  last_seen_at: number | null;
  /** JSON WorkerRole[] set by an admin (worker-roles.ts); null = the default. */
  roles: string | null;
}

interface StoredInfo {
  slots: number;
  tags: string[];
  platform: string | null;
  system: Worker["system"];
  version: string | null;
  esphomeVersions: string[];
  local: boolean;
  /** Why its last connection was refused (the version gate); absent once it connects again. */
  refused?: string;
}

const APPROVED: EnrolmentView = { enrolment: "approved", keyFingerprint: null, pendingKey: null };

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());

export class WorkerRegistry {
  private readonly sessions = new Map<string, WorkerSession>();
  /** Read on every dispatch pass and heartbeat: prepared once. */
  private readonly byId;
  private readonly touchStmt;

  constructor(
    private readonly db: Db,
    private readonly queue: JobQueue,
    private readonly clock: Clock,
    /** Workers reporting less free disk than this get no jobs (settings `workerMinFreeDiskMb`). */
    private readonly diskFloorBytes: () => number = () => 0,
    /** Where the worker stands with the admin (worker-enrolment.ts); approved when not told. */
    private readonly enrolment: (id: string) => EnrolmentView = () => APPROVED,
  ) {
    this.byId = db.prepare("SELECT * FROM workers WHERE id = ?");
    this.touchStmt = db.prepare("UPDATE workers SET last_seen_at = ? WHERE id = ?");
  }

  /**
   * Registers an admitted session (WorkerIdentity decided it may use this id and token); returns the
   * session it replaces (same worker id), if any.
   */
  attach(session: WorkerSession, local: boolean): WorkerSession | undefined {
    const h = session.hello;
    const info: StoredInfo = {
      slots: h.slots,
      tags: h.tags,
      platform: h.platform,
      system: h.system,
      version: h.version,
      esphomeVersions: h.esphomeVersions,
      local,
    };
    this.db
      .prepare(
        `INSERT INTO workers (id, name, token_id, info, last_seen_at) VALUES (@id, @name, @token, @info, @now)
         ON CONFLICT(id) DO UPDATE SET name = @name, token_id = @token, info = @info, last_seen_at = @now`,
      )
      .run({ id: session.id, name: h.name, token: session.tokenId, info: JSON.stringify(info), now: this.clock.now() });
    // Only once recorded (a full disk fails the write above, and the connection is refused): live.
    const previous = this.sessions.get(session.id);
    this.sessions.set(session.id, session);
    return previous;
  }

  /**
   * A worker waiting for approval is listed (name, machine, the credential it came with) without a session.
   * A known worker's record is left as it is: a hello that is not admitted changes nothing about it.
   */
  remember(h: HelloMessage, tokenId: string): void {
    const info: StoredInfo = {
      slots: h.slots,
      tags: h.tags,
      platform: h.platform,
      system: h.system,
      version: h.version,
      esphomeVersions: h.esphomeVersions,
      local: false,
    };
    this.db
      .prepare(
        "INSERT INTO workers (id, name, token_id, info, last_seen_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
      )
      .run(h.workerId, h.name, tokenId, JSON.stringify(info), this.clock.now());
  }

  /** A worker that joined with a pairing code is listed before it first connects. */
  rememberJoined(id: string, name: string, tokenId: string): void {
    this.db
      .prepare("INSERT INTO workers (id, name, token_id, last_seen_at) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO NOTHING")
      .run(id, name, tokenId, this.clock.now());
  }

  /**
   * A worker refused at hello (its version is too old): remembered so the worker list shows it as
   * outdated with the reason. Slot and tag overrides are kept for when it comes back upgraded.
   */
  recordRefused(hello: HelloMessage, tokenId: string, reason: string): void {
    const info: StoredInfo = {
      slots: hello.slots,
      tags: hello.tags,
      platform: hello.platform,
      system: hello.system,
      version: hello.version,
      esphomeVersions: hello.esphomeVersions,
      local: false,
      refused: reason,
    };
    this.db
      .prepare(
        `INSERT INTO workers (id, name, token_id, info, last_seen_at) VALUES (@id, @name, @token, @info, @now)
         ON CONFLICT(id) DO UPDATE SET name = @name, token_id = @token, info = @info, last_seen_at = @now`,
      )
      .run({ id: hello.workerId, name: hello.name, token: tokenId, info: JSON.stringify(info), now: this.clock.now() });
  }

  /** True when the worker reported less free disk than the floor: dispatch skips it. */
  diskLow(session: WorkerSession): boolean {
    const floor = this.diskFloorBytes();
    return floor > 0 && session.diskFreeBytes !== null && session.diskFreeBytes < floor;
  }

  /** Whether the worker was the sidecar's built-in local worker (as last recorded). */
  wasLocal(id: string): boolean {
    return recordedLocal(this.row(id));
  }

  /** The token a worker id is bound to (the one that first used it), if the worker is known. */
  tokenOf(id: string): string | null | undefined {
    return this.row(id)?.token_id;
  }

  /** What the user set for the worker, to be sent to it at each (re)connect. */
  overridesOf(id: string): { slots?: number; tags?: string[] } {
    const row = this.row(id);
    return {
      ...(row?.slots_override != null ? { slots: row.slots_override } : {}),
      ...(row?.tags_override != null ? { tags: JSON.parse(row.tags_override) as string[] } : {}),
    };
  }

  /** The slots the user set for the worker bound to this token (the built-in worker's), if any. */
  slotsOverrideForToken(tokenId: string): number | null {
    const r = this.db
      .prepare("SELECT slots_override FROM workers WHERE token_id = ? AND slots_override IS NOT NULL")
      .get(tokenId) as { slots_override: number } | undefined;
    return r?.slots_override ?? null;
  }

  detach(session: WorkerSession): boolean {
    if (this.sessions.get(session.id) !== session) return false;
    this.sessions.delete(session.id);
    this.touch(session.id);
    return true;
  }

  touch(id: string): void {
    this.touchStmt.run(this.clock.now(), id);
  }

  session(id: string): WorkerSession | undefined {
    return this.sessions.get(id);
  }

  online(): WorkerSession[] {
    return [...this.sessions.values()];
  }

  sessionsForToken(tokenId: string): WorkerSession[] {
    return this.online().filter((s) => s.tokenId === tokenId);
  }

  /**
   * What the dispatcher goes by, from one read of the worker's row: the slots in effect (a user override
   * set through the API wins over what the worker announced), its tags (locked, or its own), and its
   * roles (worker-roles.ts: an admin's, else the default; the local worker is both).
   */
  terms(session: WorkerSession): WorkerTerms {
    const row = this.row(session.id);
    const local = recordedLocal(row);
    return {
      slots: row?.slots_override ?? session.hello.slots,
      tags: row?.tags_override ? (JSON.parse(row.tags_override) as string[]) : session.hello.tags,
      roles: rolesFrom(row?.roles, local),
      local,
    };
  }

  slotsOf(session: WorkerSession): number {
    return this.terms(session).slots;
  }

  rolesOf(session: WorkerSession): WorkerRole[] {
    return this.terms(session).roles;
  }

  tagsOf(session: WorkerSession): string[] {
    return this.terms(session).tags;
  }

  /**
   * How many jobs the dispatcher may count on: the slots in effect, but never more than the worker's own
   * heartbeat says it takes (a `configure` on its way), and none right after it handed a job back for
   * want of a slot. `running` is how many the sidecar has assigned it.
   */
  freeSlots(session: WorkerSession, running: number, inEffect = this.slotsOf(session)): number {
    if (session.fullUntilHeartbeat) return 0;
    const slots = Math.min(inEffect, session.reportedSlots ?? Number.POSITIVE_INFINITY);
    return Math.max(0, slots - running - session.strays);
  }

  /**
   * `slots`: set (and sent to the worker). `tags` set: locked to those. `tagsLocked` true: locked to the
   * tags it has now; false: its own hello decides again.
   */
  setOverrides(
    id: string,
    patch: { slots?: number; tags?: string[]; tagsLocked?: boolean; roles?: WorkerRole[] },
  ): Worker {
    if (!this.row(id)) throw new NotFoundError(`no worker with id ${id}`);
    if (patch.roles !== undefined)
      this.db.prepare("UPDATE workers SET roles = ? WHERE id = ?").run(JSON.stringify([...new Set(patch.roles)]), id);
    const set = (col: "slots_override" | "tags_override", v: number | string | null) =>
      this.db.prepare(`UPDATE workers SET ${col} = ? WHERE id = ?`).run(v, id);
    if (patch.slots !== undefined) set("slots_override", patch.slots);
    if (patch.tags !== undefined) set("tags_override", JSON.stringify(patch.tags));
    else if (patch.tagsLocked === true) set("tags_override", JSON.stringify(this.view(id).tags));
    else if (patch.tagsLocked === false) set("tags_override", null);
    return this.view(id);
  }

  /** A worker that has connected at least once (online or not). */
  has(id: string): boolean {
    return this.row(id) !== undefined;
  }

  list(): Worker[] {
    const rows = this.db.prepare("SELECT id FROM workers ORDER BY id").all() as { id: string }[];
    return rows.map((r) => this.view(r.id));
  }

  view(id: string): Worker {
    const row = this.row(id);
    if (!row) throw new NotFoundError(`no worker with id ${id}`);
    const info = (row.info ? JSON.parse(row.info) : {}) as Partial<StoredInfo>;
    const session = this.sessions.get(id);
    const running = this.queue.runningOn(id);
    return {
      id,
      name: row.name,
      online: session !== undefined,
      local: info.local ?? false,
      ...this.enrolment(id),
      slots: row.slots_override ?? info.slots ?? 0,
      // Jobs it still runs but no longer holds (being stopped) occupy slots too.
      busySlots: running.length + (session?.strays ?? 0),
      tags: row.tags_override ? (JSON.parse(row.tags_override) as string[]) : (info.tags ?? []),
      tagsLocked: row.tags_override != null,
      platform: info.platform ?? null,
      system: info.system ?? null,
      version: info.version ?? null,
      // Heartbeats update the live session's list (a version installed or removed since hello).
      esphomeVersions: session?.hello.esphomeVersions ?? info.esphomeVersions ?? [],
      activeJobIds: running.map((j) => j.id),
      connectedAt: iso(session?.connectedAt),
      lastSeenAt: iso(session ? session.lastSeenAt : row.last_seen_at),
      outdated: !session && info.version != null && workerVersionProblem(info.version) !== null,
      problem: session ? null : (info.refused ?? null),
      diskFreeBytes: session?.diskFreeBytes ?? null,
      diskLow: session ? this.diskLow(session) : false,
      roles: rolesFrom(row.roles, info.local ?? false),
    };
  }

  private row(id: string): WorkerRow | undefined {
    return this.byId.get(id) as WorkerRow | undefined;
  }
}

/** Whether the row records the sidecar's built-in local worker. */
function recordedLocal(row: WorkerRow | undefined): boolean {
  return row?.info ? (JSON.parse(row.info) as Partial<StoredInfo>).local === true : false;
}
