// One-time pairing codes for `esphome-forge worker join`: `<id>_<secret>`, valid 10 minutes, used
// once. Only a hash of the secret is stored; a code is spent in the same statement that checks it,
// so two joins racing with one code cannot both win.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Db } from "../db/database.js";
import type { Clock } from "../util/clock.js";

export const PAIRING_CODE_TTL_MS = 10 * 60_000;
const CODE_RE = /^([0-9a-f]{12})_([A-Za-z0-9_-]{22})$/;

const hash = (secret: string) => createHash("sha256").update(secret).digest();

export type Redeemed = { ok: true; codeId: string } | { ok: false; reason: string };

export class PairingCodes {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  create(): { code: string; codeId: string; expiresAt: number } {
    const id = randomBytes(6).toString("hex");
    const secret = randomBytes(16).toString("base64url");
    const now = this.clock.now();
    const expiresAt = now + PAIRING_CODE_TTL_MS;
    this.db
      .prepare("INSERT INTO pairing_codes (id, secret_hash, created_at, expires_at) VALUES (?, ?, ?, ?)")
      .run(id, hash(secret).toString("hex"), now, expiresAt);
    // Spent and expired codes are kept a day for the error message, then forgotten.
    this.db.prepare("DELETE FROM pairing_codes WHERE expires_at < ?").run(now - 86_400_000);
    return { code: `${id}_${secret}`, codeId: id, expiresAt };
  }

  /** The code's id when the text is well-formed (the id is what the join proof signs). */
  static idOf(code: string): string | null {
    return CODE_RE.exec(code)?.[1] ?? null;
  }

  /** Checks the code and spends it (for `workerId`). Refusals say why: unknown, expired or used. */
  redeem(code: string, workerId: string): Redeemed {
    const m = CODE_RE.exec(code);
    if (!m) return { ok: false, reason: "malformed pairing code" };
    const [, id, secret] = m as unknown as [string, string, string];
    const row = this.db.prepare("SELECT * FROM pairing_codes WHERE id = ?").get(id) as
      { secret_hash: string; expires_at: number; used_at: number | null } | undefined;
    const given = hash(secret);
    const stored = row ? Buffer.from(row.secret_hash, "hex") : Buffer.alloc(given.length);
    if (!row || !timingSafeEqual(stored, given)) return { ok: false, reason: "unknown pairing code" };
    const now = this.clock.now();
    if (row.used_at != null)
      return { ok: false, reason: "this pairing code was already used; run `esphome-forge worker pair` for a new one" };
    if (row.expires_at <= now)
      return {
        ok: false,
        reason: "this pairing code expired (codes are valid 10 minutes); run `esphome-forge worker pair` for a new one",
      };
    const spent = this.db
      .prepare(
        "UPDATE pairing_codes SET used_at = ?, worker_id = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?",
      )
      .run(now, workerId, id, now);
    if (spent.changes !== 1) return { ok: false, reason: "this pairing code was already used" };
    return { ok: true, codeId: id };
  }
}
