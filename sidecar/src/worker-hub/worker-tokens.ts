// Per-worker bearer tokens. Only a sha256 of each secret is stored; the secret is shown once at
// creation. Token text is `efw_<id>_<secret>` so a lookup by id needs no scan and the comparison
// of hashes is constant-time.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { WorkerToken } from "@esphome-forge/shared";
import type { Db } from "../db/database.js";
import type { Clock } from "../util/clock.js";
import { NotFoundError } from "../util/errors.js";

const TOKEN_RE = /^efw_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

interface TokenRow {
  id: string;
  name: string;
  secret_hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

const iso = (ms: number | null) => (ms == null ? null : new Date(ms).toISOString());
const hash = (secret: string) => createHash("sha256").update(secret).digest();

export class WorkerTokens {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  create(name: string): { token: WorkerToken; secret: string } {
    const id = randomBytes(6).toString("hex");
    const secretPart = randomBytes(32).toString("base64url");
    const now = this.clock.now();
    this.db
      .prepare("INSERT INTO worker_tokens (id, name, secret_hash, created_at) VALUES (?, ?, ?, ?)")
      .run(id, name, hash(secretPart).toString("hex"), now);
    return { token: this.get(id), secret: `efw_${id}_${secretPart}` };
  }

  get(id: string): WorkerToken {
    const row = this.db.prepare("SELECT * FROM worker_tokens WHERE id = ?").get(id) as TokenRow | undefined;
    if (!row) throw new NotFoundError(`no worker token with id ${id}`);
    return toToken(row);
  }

  list(): WorkerToken[] {
    const rows = this.db.prepare("SELECT * FROM worker_tokens ORDER BY created_at, id").all() as TokenRow[];
    return rows.map(toToken);
  }

  revoke(id: string): WorkerToken {
    const info = this.db
      .prepare("UPDATE worker_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?")
      .run(this.clock.now(), id);
    if (info.changes === 0) throw new NotFoundError(`no worker token with id ${id}`);
    return this.get(id);
  }

  /** True while the token exists and is not revoked. */
  isUsable(id: string): boolean {
    const row = this.db.prepare("SELECT revoked_at FROM worker_tokens WHERE id = ?").get(id) as
      { revoked_at: number | null } | undefined;
    return row !== undefined && row.revoked_at == null;
  }

  /** Returns the token id when `text` is a valid, unrevoked worker token; otherwise a reason. */
  authenticate(text: string): { ok: true; tokenId: string } | { ok: false; reason: string } {
    const m = TOKEN_RE.exec(text);
    if (!m) return { ok: false, reason: "malformed worker token" };
    const [, id, secretPart] = m as unknown as [string, string, string];
    const row = this.db.prepare("SELECT * FROM worker_tokens WHERE id = ?").get(id) as TokenRow | undefined;
    if (!row) return { ok: false, reason: "unknown worker token" };
    const stored = Buffer.from(row.secret_hash, "hex");
    const given = hash(secretPart);
    if (stored.length !== given.length || !timingSafeEqual(stored, given)) {
      return { ok: false, reason: "unknown worker token" };
    }
    if (row.revoked_at != null) return { ok: false, reason: "worker token revoked" };
    this.db.prepare("UPDATE worker_tokens SET last_used_at = ? WHERE id = ?").run(this.clock.now(), id);
    return { ok: true, tokenId: id };
  }
}

function toToken(row: TokenRow): WorkerToken {
  return {
    id: row.id,
    name: row.name,
    createdAt: iso(row.created_at)!,
    lastUsedAt: iso(row.last_used_at),
    revokedAt: iso(row.revoked_at),
  };
}
