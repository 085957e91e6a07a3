// Where signed bundles live once a build is approved, looked up by firmware digest (what the upload
// gate has in hand), plus the per-device build sequence (anti-rollback) and what each device runs.
import type Database from "better-sqlite3";
import type { SerializedBundle } from "@sigstore/bundle";
import { cachedStatement } from "../../db/statements.js";

export type AttestationKind = "build" | "approval" | "external";

export interface StoredAttestation {
  id: number;
  kind: AttestationKind;
  deviceId: string | null;
  jobId: number | null;
  signerHint: string | null;
  buildSequence: number | null;
  logIndex: number | null;
  payloadSha256: string | null;
  bundle: SerializedBundle;
  createdAt: string;
}

export interface NewAttestation {
  kind: AttestationKind;
  deviceId: string | null;
  jobId?: number | null;
  signerHint: string | null;
  buildSequence?: number | null;
  logIndex?: number | null;
  payloadSha256?: string | null;
  bundle: SerializedBundle;
  subjects: { name: string; sha256: string }[];
}

interface Row {
  id: number;
  kind: AttestationKind;
  device_id: string | null;
  job_id: number | null;
  signer_hint: string | null;
  build_seq: number | null;
  log_index: number | null;
  payload_sha256: string | null;
  bundle_json: string;
  created_at: string;
}

const fromRow = (r: Row): StoredAttestation => ({
  id: r.id,
  kind: r.kind,
  deviceId: r.device_id,
  jobId: r.job_id,
  signerHint: r.signer_hint,
  buildSequence: r.build_seq,
  logIndex: r.log_index,
  payloadSha256: r.payload_sha256,
  bundle: JSON.parse(r.bundle_json) as SerializedBundle,
  createdAt: r.created_at,
});

export class AttestationStore {
  /** Prepared once: every verdict looks attestations up (index trust_attestations_payload, subjects by sha256). */
  private readonly stmt;

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.stmt = {
      insert: db.prepare(
        `INSERT INTO trust_attestations (kind, device_id, job_id, signer_hint, build_seq, log_index, payload_sha256, bundle_json, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertSubject: db.prepare(
        "INSERT OR IGNORE INTO trust_attestation_subjects (attestation_id, sha256, name) VALUES (?, ?, ?)",
      ),
      byId: db.prepare("SELECT * FROM trust_attestations WHERE id = ?"),
      forFirmware: db.prepare(
        `SELECT a.* FROM trust_attestations a JOIN trust_attestation_subjects s ON s.attestation_id = a.id
         WHERE s.sha256 = ? AND (? IS NULL OR a.kind = ?) ORDER BY a.id DESC`,
      ),
      buildFor: db.prepare(
        "SELECT * FROM trust_attestations WHERE kind = 'build' AND payload_sha256 = ? ORDER BY id DESC LIMIT 1",
      ),
    };
  }

  add(a: NewAttestation): StoredAttestation {
    return this.db.transaction(() => {
      const res = this.stmt.insert.run(
        a.kind,
        a.deviceId,
        a.jobId ?? null,
        a.signerHint,
        a.buildSequence ?? null,
        a.logIndex ?? null,
        a.payloadSha256 ?? null,
        JSON.stringify(a.bundle),
        this.now().toISOString(),
      );
      const id = Number(res.lastInsertRowid);
      for (const s of a.subjects) this.stmt.insertSubject.run(id, s.sha256, s.name);
      return fromRow(this.stmt.byId.get(id) as Row);
    })();
  }

  /** Every attestation naming this firmware digest, newest first. */
  forFirmware(sha256: string, kind?: AttestationKind): StoredAttestation[] {
    const rows = this.stmt.forFirmware.all(sha256, kind ?? null, kind ?? null) as Row[];
    return rows.map(fromRow);
  }

  /** The newest approval for this firmware and device: what the upload gate evaluates. */
  approvalFor(sha256: string, deviceId: string): StoredAttestation | null {
    return this.forFirmware(sha256, "approval").find((a) => a.deviceId === deviceId) ?? null;
  }

  /** The worker provenance an approval points at (by DSSE payload digest). */
  buildFor(payloadSha256: string): StoredAttestation | null {
    const row = this.stmt.buildFor.get(payloadSha256) as Row | undefined;
    return row ? fromRow(row) : null;
  }
}

/** Per-device build sequence numbers (allocated at approval) and the sequence each device runs. */
export class BuildSequences {
  private readonly installedStmt;

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => Date = () => new Date(),
  ) {
    // Prepared once: every device view asks what its device runs.
    this.installedStmt = db.prepare(
      "SELECT firmware_sha256, build_seq, installed_at, max_build_seq, max_external_order FROM trust_installed WHERE device_id = ?",
    );
  }

  /** The next sequence for a device; strictly increasing, never reused, also across restarts. */
  allocate(deviceId: string): number {
    const row = cachedStatement(
      this.db,
      `INSERT INTO trust_build_sequences (device_id, last_seq) VALUES (?, 1)
       ON CONFLICT (device_id) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq`,
    ).get(deviceId) as { last_seq: number };
    return row.last_seq;
  }

  last(deviceId: string): number {
    return (
      (cachedStatement(this.db, "SELECT last_seq FROM trust_build_sequences WHERE device_id = ?", "pluck").get(
        deviceId,
      ) as number | undefined) ?? 0
    );
  }

  /**
   * Record a successful flash; the gate refuses older sequences from then on. The highest Forge build
   * sequence and the highest CI order ever flashed are kept: a flash without one (CI firmware, an
   * unsigned image under warn/off) or with a lower one (a rollback forced under warn) never lowers them.
   */
  recordInstalled(
    deviceId: string,
    firmwareSha256: string,
    buildSequence: number | null,
    externalOrder: number | null = null,
  ): void {
    this.db
      .prepare(
        `INSERT INTO trust_installed (device_id, build_seq, firmware_sha256, installed_at, max_build_seq, max_external_order)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (device_id) DO UPDATE SET build_seq = excluded.build_seq,
           firmware_sha256 = excluded.firmware_sha256, installed_at = excluded.installed_at,
           max_build_seq = NULLIF(MAX(COALESCE(max_build_seq, -1), COALESCE(excluded.max_build_seq, -1)), -1),
           max_external_order = NULLIF(MAX(COALESCE(max_external_order, -1), COALESCE(excluded.max_external_order, -1)), -1)`,
      )
      .run(deviceId, buildSequence, firmwareSha256, this.now().toISOString(), buildSequence, externalOrder);
  }

  installed(deviceId: string): {
    firmwareSha256: string;
    buildSequence: number | null;
    installedAt: string;
    /** The highest Forge build sequence ever flashed to the device (rollback floor). */
    maxBuildSequence: number | null;
    /** The highest CI order ever flashed to the device (rollback floor for CI-signed firmware). */
    maxExternalOrder: number | null;
  } | null {
    const row = this.installedStmt.get(deviceId) as
      | {
          firmware_sha256: string;
          build_seq: number | null;
          installed_at: string;
          max_build_seq: number | null;
          max_external_order: number | null;
        }
      | undefined;
    return row
      ? {
          firmwareSha256: row.firmware_sha256,
          buildSequence: row.build_seq,
          installedAt: row.installed_at,
          maxBuildSequence: row.max_build_seq ?? row.build_seq,
          maxExternalOrder: row.max_external_order,
        }
      : null;
  }

  /** Every device's rollback floors and the image it was last flashed with (for the state anchor). */
  floors(): RollbackFloor[] {
    return (
      this.db
        .prepare(
          `SELECT device_id, firmware_sha256, COALESCE(max_build_seq, build_seq) AS seq, max_external_order AS ext
           FROM trust_installed ORDER BY device_id`,
        )
        .raw()
        .all() as [string, string, number | null, number | null][]
    ).map(([deviceId, firmwareSha256, seq, ext]) => ({
      deviceId,
      firmwareSha256,
      maxBuildSequence: seq,
      maxExternalOrder: ext,
    }));
  }

  /**
   * Raises a device's floors to at least these (a floor never goes down); a device with no record gets
   * one naming `firmwareSha256` as what it runs. Returns whether anything changed.
   */
  raiseFloor(f: RollbackFloor): boolean {
    const before = this.installed(f.deviceId);
    const higher = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));
    if (
      before &&
      higher(before.maxBuildSequence, f.maxBuildSequence) === before.maxBuildSequence &&
      higher(before.maxExternalOrder, f.maxExternalOrder) === before.maxExternalOrder
    )
      return false;
    this.db
      .prepare(
        `INSERT INTO trust_installed (device_id, build_seq, firmware_sha256, installed_at, max_build_seq, max_external_order)
         VALUES (@deviceId, @seq, @sha, @now, @seq, @ext)
         ON CONFLICT (device_id) DO UPDATE SET
           max_build_seq = NULLIF(MAX(COALESCE(max_build_seq, build_seq, -1), COALESCE(@seq, -1)), -1),
           max_external_order = NULLIF(MAX(COALESCE(max_external_order, -1), COALESCE(@ext, -1)), -1)`,
      )
      .run({
        deviceId: f.deviceId,
        seq: f.maxBuildSequence,
        sha: f.firmwareSha256,
        ext: f.maxExternalOrder,
        now: this.now().toISOString(),
      });
    return true;
  }
}

/** What a device's rollback protection rests on: the highest build sequence and CI order ever flashed to it. */
export interface RollbackFloor {
  deviceId: string;
  firmwareSha256: string;
  maxBuildSequence: number | null;
  maxExternalOrder: number | null;
}
