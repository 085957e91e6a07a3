// Ordered schema migrations. Entry i brings the database from user_version i to i + 1; never edit
// an entry that has shipped, append a new one. Times are integer milliseconds since the epoch.

export const MIGRATIONS: readonly string[] = [
  // 1: queue, history, firmware archive, settings, workers.
  `
  CREATE TABLE jobs (
    id                INTEGER PRIMARY KEY AUTOINCREMENT, -- AUTOINCREMENT: ids are never reused, even after pruning
    device_id         TEXT    NOT NULL,
    action            TEXT    NOT NULL,
    state             TEXT    NOT NULL,
    priority          TEXT    NOT NULL,
    priority_rank     INTEGER NOT NULL,                  -- index in JOB_PRIORITIES; lower runs first
    params            TEXT    NOT NULL DEFAULT '{}',     -- JSON JobParams
    source            TEXT    NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    max_attempts      INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    started_at        INTEGER,
    finished_at       INTEGER,
    worker_id         TEXT,
    dispatch_reason   TEXT,
    cancel_requested  INTEGER NOT NULL DEFAULT 0,
    phase             TEXT,
    error             TEXT,
    config_hash       TEXT,
    esphome_version   TEXT,
    progress          REAL,
    duration_ms       INTEGER,
    fence             INTEGER,                           -- fencing token of the current/last assignment
    lease_expires_at  INTEGER,
    log_bytes         INTEGER NOT NULL DEFAULT 0,        -- end offset: every byte ever appended
    log_dropped_bytes INTEGER NOT NULL DEFAULT 0         -- bytes [0, this) were dropped by the log cap
  );
  -- By state, and within a state in dispatch order: serves "queued by (priority_rank, id)" without a sort.
  CREATE INDEX jobs_state_order ON jobs (state, priority_rank, id);
  CREATE INDEX jobs_device_created ON jobs (device_id, created_at);
  CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
  -- Coalescing: one waiting job per (device, action). Concurrency: one running job per device.
  CREATE UNIQUE INDEX jobs_one_waiting ON jobs (device_id, action) WHERE state IN ('queued', 'blocked');
  CREATE UNIQUE INDEX jobs_one_running ON jobs (device_id) WHERE state = 'running';

  CREATE TABLE job_log_chunks (
    job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    offset INTEGER NOT NULL,                             -- absolute byte offset of data[0] in the job's output
    data   BLOB    NOT NULL,                             -- UTF-8
    PRIMARY KEY (job_id, offset)
  ) WITHOUT ROWID;

  CREATE TABLE job_firmware (
    job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    seq    INTEGER NOT NULL,
    name   TEXT    NOT NULL,
    sha256 TEXT    NOT NULL,
    size   INTEGER NOT NULL,
    kind   TEXT    NOT NULL,
    PRIMARY KEY (job_id, seq)
  );
  CREATE INDEX job_firmware_sha ON job_firmware (sha256);

  CREATE TABLE firmware (
    sha256       TEXT PRIMARY KEY,
    size         INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL
  );

  CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL                                  -- JSON
  );

  -- Monotonic counters that must survive restarts (the fencing token).
  CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  );
  INSERT INTO counters (name, value) VALUES ('fence', 0);

  CREATE TABLE worker_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT    NOT NULL,
    secret_hash  TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
  );

  CREATE TABLE workers (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    token_id       TEXT,
    slots_override INTEGER,
    tags_override  TEXT,                                 -- JSON string[]
    info           TEXT,                                 -- JSON
    last_seen_at   INTEGER
  );

  CREATE TABLE device_affinity (
    device_id   TEXT PRIMARY KEY,
    worker_id   TEXT    NOT NULL,
    built_at    INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL
  );
  `,
  // 2: a validate job's structured errors (JSON ValidationError[]), set with its result.
  `
  ALTER TABLE jobs ADD COLUMN validation_errors TEXT NOT NULL DEFAULT '[]';
  `,
  // 3: the content-trust tables (keys, log, revocation lists, attestations, job verdicts, external signers).
  // IF NOT EXISTS: databases from before this migration created them outside the ordered list.
  `
  CREATE TABLE IF NOT EXISTS trust_keys (
    hint          TEXT PRIMARY KEY,           -- base64(sha256(SPKI DER))
    role          TEXT NOT NULL CHECK (role IN ('worker', 'sidecar', 'log', 'revocation', 'external')),
    owner         TEXT NOT NULL,              -- worker id, 'sidecar', or a free label
    public_pem    TEXT NOT NULL,
    enrolled_at   TEXT NOT NULL,
    retired_at    TEXT,                       -- rotated out: signatures made before this still verify
    revoked_at    TEXT,                       -- compromised: signatures made from this time on are refused
    revoke_reason TEXT
  );
  CREATE INDEX IF NOT EXISTS trust_keys_role_owner ON trust_keys (role, owner);

  -- RFC 6962 log: leaves in order, complete subtree hashes (level >= 1) for O(log n) proofs, and
  -- every checkpoint handed out, so an edit or deletion shows up against what clients already hold.
  CREATE TABLE IF NOT EXISTS trust_log_leaves (
    idx             INTEGER PRIMARY KEY,
    leaf_hash       BLOB NOT NULL,
    kind            TEXT NOT NULL,
    body            BLOB NOT NULL,
    integrated_time INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS trust_log_nodes (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    hash  BLOB NOT NULL,
    PRIMARY KEY (level, idx)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS trust_log_checkpoints (
    tree_size  INTEGER PRIMARY KEY,
    root_hash  BLOB NOT NULL,
    envelope   TEXT NOT NULL,
    created_at TEXT NOT NULL
  );

  CREATE TABLE IF NOT EXISTS trust_build_sequences (
    device_id TEXT PRIMARY KEY,
    last_seq  INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS trust_installed (
    device_id       TEXT PRIMARY KEY,
    build_seq       INTEGER,
    firmware_sha256 TEXT NOT NULL,
    installed_at    TEXT NOT NULL
  );

  CREATE TABLE IF NOT EXISTS trust_revocation_lists (
    version     INTEGER PRIMARY KEY,
    issued_at   TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    digest      TEXT NOT NULL,                -- sha256 of the DSSE payload, also logged
    bundle_json TEXT NOT NULL,
    stored_at   TEXT NOT NULL,
    log_index   INTEGER
  );

  CREATE TABLE IF NOT EXISTS trust_attestations (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('build', 'approval', 'external')),
    device_id      TEXT,
    job_id         INTEGER,
    signer_hint    TEXT,
    build_seq      INTEGER,
    log_index      INTEGER,
    payload_sha256 TEXT,
    bundle_json    TEXT NOT NULL,
    created_at     TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS trust_attestation_subjects (
    attestation_id INTEGER NOT NULL REFERENCES trust_attestations (id) ON DELETE CASCADE,
    sha256         TEXT NOT NULL,
    name           TEXT NOT NULL,
    PRIMARY KEY (attestation_id, sha256)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS trust_attestation_subjects_sha ON trust_attestation_subjects (sha256);
  -- The trust decision taken for each job (JSON JobTrust) and the external (CI) signer policy.
  CREATE TABLE IF NOT EXISTS trust_job_verdicts (
    job_id INTEGER PRIMARY KEY,
    trust  TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS trust_external_signers (id INTEGER PRIMARY KEY CHECK (id = 1), policy TEXT NOT NULL);
  `,
  // 4: job ownership. Fencing tokens are random 128-bit strings (`lease_fence`; the integer `fence` column and
  // its counter are no longer written), and a job remembers the workers it was lost on (`lost_on`, JSON
  // string[]) so its retries go elsewhere first.
  `
  ALTER TABLE jobs ADD COLUMN lease_fence TEXT;
  ALTER TABLE jobs ADD COLUMN lost_on TEXT NOT NULL DEFAULT '[]';
  `,
  // 5: delivery of numbered worker log chunks: the last chunk stored for the job's current assignment,
  // so a chunk sent again after a reconnect is dropped and a chunk that never came leaves a gap marker.
  `
  CREATE TABLE job_log_seq (
    job_id INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    fence  TEXT    NOT NULL,                             -- the assignment the numbers belong to
    seq    INTEGER NOT NULL                              -- last chunk stored (or given up as lost)
  );
  `,
  // 6: the flash ledger: every flash is recorded before it happens (intent) and when it ended
  // (outcome). No foreign key: the records outlive a pruned job's row until retention removes both.
  `
  CREATE TABLE flash_records (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,   -- monotonic: the state anchor counts it
    job_id          INTEGER NOT NULL,
    fence           TEXT    NOT NULL,                    -- the assignment that flashed
    attempt         INTEGER NOT NULL,
    device_id       TEXT    NOT NULL,
    stage           TEXT    NOT NULL CHECK (stage IN ('intent', 'outcome')),
    outcome         TEXT    CHECK (outcome IN ('succeeded', 'failed', 'cancelled', 'interrupted')),
    firmware_sha256 TEXT,
    worker_id       TEXT,
    detail          TEXT,                                -- a re-flash after an interrupted attempt, an outcome's reason
    log_index       INTEGER,                             -- its entry in the trust log
    at              INTEGER NOT NULL
  );
  CREATE INDEX flash_records_job ON flash_records (job_id, fence);
  CREATE INDEX flash_records_device ON flash_records (device_id, id);
  `,
  // 7: presence (presence/presence-store.ts): what each source (mdns, ha) last said about a device,
  // and ESPHome's config hash first reported after Forge's last flash of it ("changed outside Forge").
  `
  CREATE TABLE device_presence (
    device_id   TEXT    NOT NULL,
    source      TEXT    NOT NULL CHECK (source IN ('mdns', 'ha')),
    online      INTEGER NOT NULL,                        -- the source's own verdict when written
    since       INTEGER NOT NULL,                        -- when that verdict last changed
    last_seen   INTEGER,
    reported_at INTEGER NOT NULL,                        -- the source's last report
    report      TEXT    NOT NULL,                        -- JSON: facts, addresses, hostname
    PRIMARY KEY (device_id, source)
  ) WITHOUT ROWID;
  CREATE TABLE device_running_baseline (
    device_id    TEXT    PRIMARY KEY,
    flash_job_id INTEGER NOT NULL,
    config_hash  TEXT    NOT NULL,
    seen_at      INTEGER NOT NULL
  );
  `,
  // 8: an index for every lookup on a hot path (device views, trust verdicts), so none costs a scan of the
  // history (db/query-plans.test.ts keeps them in use), and the log audit's last audited point.
  `
  -- The worker provenance an approval points at, looked up by DSSE payload digest in every verdict.
  CREATE INDEX trust_attestations_payload ON trust_attestations (payload_sha256, kind);
  -- A device's newest job (its last build): walk its jobs newest first. Replaces (device_id, created_at),
  -- which could not give that order.
  DROP INDEX jobs_device_created;
  CREATE INDEX jobs_device ON jobs (device_id, id);
  -- A device's newest success (last flash, last compile) and its unfinished jobs.
  CREATE INDEX jobs_device_state_finished ON jobs (device_id, state, finished_at);

  -- Where the last clean audit of the trust log ended: the start-up audit goes on from there instead of
  -- rehashing the whole log. key_events: what the log said about each key up to that size (JSON).
  CREATE TABLE trust_log_audit (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    tree_size  INTEGER NOT NULL,
    root_hash  BLOB    NOT NULL,
    key_events TEXT    NOT NULL,
    checked_at TEXT    NOT NULL
  );
  `,
  // 9 (fleet operations): schedules and their run history; small key/value state of the notifications
  // (the webhook, the newest ESPHome release seen) and the alerts that are active.
  `
  CREATE TABLE schedules (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL,
    enabled       INTEGER NOT NULL,
    target        TEXT    NOT NULL,                      -- JSON ScheduleTarget
    action        TEXT    NOT NULL,
    only_outdated INTEGER NOT NULL,
    cron          TEXT,                                  -- with time_zone; or run_at for a one-time run
    time_zone     TEXT,
    run_at        INTEGER,
    next_run_at   INTEGER,                               -- null: nothing due (disabled, or the one-time run ran)
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
  );
  CREATE INDEX schedules_next ON schedules (next_run_at) WHERE next_run_at IS NOT NULL;
  CREATE TABLE schedule_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    schedule_id INTEGER NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    due_at      INTEGER NOT NULL,
    ran_at      INTEGER NOT NULL,
    trigger     TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    job_ids     TEXT    NOT NULL DEFAULT '[]',
    skipped     TEXT    NOT NULL DEFAULT '[]',
    detail      TEXT
  );
  CREATE INDEX schedule_runs_schedule ON schedule_runs (schedule_id, id);
  CREATE TABLE fleet_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL                                  -- JSON
  );
  CREATE TABLE alerts (
    id      TEXT PRIMARY KEY,                            -- <kind>:<subject>
    kind    TEXT    NOT NULL,
    subject TEXT    NOT NULL,
    since   INTEGER NOT NULL,
    message TEXT    NOT NULL,
    details TEXT    NOT NULL DEFAULT '{}'
  );
  `,
  // 10: the config folder's commit a job's config was taken from (recorded at dispatch).
  `
  ALTER TABLE jobs ADD COLUMN config_commit TEXT;
  `,
  // 11: trust anchors. Rollback protection never resets: the highest Forge build sequence and the highest
  // CI order ever flashed per device (a CI or warn/off flash keeps them); a device's trust policy set
  // through the admin API (the only way below the fleet's; logged); trust changes listed by kind.
  `
  ALTER TABLE trust_installed ADD COLUMN max_build_seq INTEGER;
  UPDATE trust_installed SET max_build_seq = build_seq;
  ALTER TABLE trust_installed ADD COLUMN max_external_order INTEGER;
  CREATE TABLE trust_device_policies (
    device_id TEXT PRIMARY KEY,
    policy    TEXT NOT NULL,
    actor     TEXT NOT NULL,
    set_at    TEXT NOT NULL,
    log_index INTEGER NOT NULL
  );
  CREATE INDEX trust_log_leaves_kind ON trust_log_leaves (kind, idx);
  `,
  // 12: why a job waits `blocked` (no online worker has a tag it needs, its pinned worker is offline).
  `
  ALTER TABLE jobs ADD COLUMN blocked_reason TEXT;
  `,
  // 13: ESPHome signed OTA: each approved image Forge signed for a device, next to the unsigned
  // digest its approval names, with the keys that signed it and what the firmware built from that config trusts.
  `
  CREATE TABLE ota_signed_images (
    signed_sha256        TEXT PRIMARY KEY,
    unsigned_sha256      TEXT    NOT NULL,
    device_id            TEXT    NOT NULL,
    job_id               INTEGER,
    size                 INTEGER NOT NULL,
    key_digests          TEXT    NOT NULL,               -- JSON, block order
    image_digest         TEXT    NOT NULL,               -- SHA-256 of the padded image (what the blocks sign)
    project_version      TEXT,
    trusted_keys         TEXT    NOT NULL,               -- JSON: verification_keys the firmware is built with
    downgrade_protection INTEGER NOT NULL,
    approval_log_index   INTEGER,
    log_index            INTEGER,
    created_at           INTEGER NOT NULL
  );
  CREATE INDEX ota_signed_images_unsigned ON ota_signed_images (unsigned_sha256, device_id);
  `,
  // 14: enrolment is an admin decision. Each worker key has one (`worker_keys`: pending, approved, rejected,
  // retired by a rotation, revoked); keys enrolled before this change are approved. A worker
  // can be revoked for good. A credential from `worker join` belongs to one
  // worker id and key; pairing codes are one-time and short-lived (only a hash is stored).
  `
  CREATE TABLE worker_keys (
    hint         TEXT PRIMARY KEY,                       -- base64(sha256(SPKI DER)), as in trust_keys
    worker_id    TEXT    NOT NULL,
    public_pem   TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('enrol', 'rotate')),
    state        TEXT    NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'retired', 'revoked')),
    token_id     TEXT,                                   -- the credential it came with
    requested_at INTEGER NOT NULL,
    decided_at   INTEGER,
    decided_by   TEXT                                    -- 'admin', 'auto' (autoApproveWorkers), 'local', 'migration'
  );
  CREATE INDEX worker_keys_worker ON worker_keys (worker_id, state);
  INSERT INTO worker_keys (hint, worker_id, public_pem, kind, state, requested_at, decided_at, decided_by)
    SELECT hint, owner, public_pem, 'enrol',
           CASE WHEN revoked_at IS NOT NULL THEN 'revoked' WHEN retired_at IS NOT NULL THEN 'retired' ELSE 'approved' END,
           CAST(strftime('%s', enrolled_at) AS INTEGER) * 1000, CAST(strftime('%s', enrolled_at) AS INTEGER) * 1000,
           'migration'
      FROM trust_keys WHERE role = 'worker';
  ALTER TABLE workers ADD COLUMN revoked_at INTEGER;
  ALTER TABLE workers ADD COLUMN revoke_reason TEXT;
  ALTER TABLE worker_tokens ADD COLUMN worker_id TEXT;
  ALTER TABLE worker_tokens ADD COLUMN key_hint TEXT;
  CREATE TABLE pairing_codes (
    id          TEXT PRIMARY KEY,
    secret_hash TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    worker_id   TEXT
  );
  `,
  // 15: a builder never flashes. A flashing job's step (build → flash), the approved image its flash
  // sends, the worker that built it (never given the flash); a worker's admin-set roles.
  `
  ALTER TABLE jobs ADD COLUMN step TEXT;
  ALTER TABLE jobs ADD COLUMN flash_sha256 TEXT;
  ALTER TABLE jobs ADD COLUMN built_by TEXT;
  ALTER TABLE workers ADD COLUMN roles TEXT;
  DROP INDEX jobs_one_waiting;
  CREATE UNIQUE INDEX jobs_one_waiting ON jobs (device_id, action, coalesce(step, ''))
    WHERE state IN ('queued', 'blocked');
  `,
  // waiting_for_device (README "Flash when the device is back"): when a flash step's wait for its device
  // ends (ms); the one-waiting index covers the new state, so a device and action still has one waiting job.
  `
  ALTER TABLE jobs ADD COLUMN waiting_until INTEGER;
  DROP INDEX jobs_one_waiting;
  CREATE UNIQUE INDEX jobs_one_waiting ON jobs (device_id, action, coalesce(step, ''))
    WHERE state IN ('queued', 'blocked', 'waiting_for_device');
  `,
  // The inventory's kept reads (inventory/read-cache.ts): a device whose files did not change is not parsed
  // again at start or on a rescan. Only a shortcut: every row may be dropped. And an index for retention.
  `
  CREATE TABLE inventory_reads (
    device_id TEXT PRIMARY KEY,
    body      TEXT NOT NULL
  );
  -- CI uploads by device, for the archive's retention (without it, a scan of every trust record).
  CREATE INDEX trust_attestations_external ON trust_attestations (device_id) WHERE kind = 'external';
  `,
];
