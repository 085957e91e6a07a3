// The trust engine's own tables. Idempotent, so it can run on every start beside the core migrations.
import type Database from "better-sqlite3";

export function ensureTrustSchema(db: Database.Database): void {
  db.exec(`
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
  `);
}
