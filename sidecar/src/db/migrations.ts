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
  // 4: the config folder's commit a job's config was taken from (recorded at dispatch).
  `
  ALTER TABLE jobs ADD COLUMN config_commit TEXT;
  `,
];
