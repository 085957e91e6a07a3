// The bearer header and the constant-time admin token comparison, shared by the REST API and the
// events socket.
import { createHash, timingSafeEqual } from "node:crypto";

const digest = (s: string) => createHash("sha256").update(s).digest();

export function bearer(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

export function isAdminToken(given: string | null, adminToken: string): boolean {
  if (!given) return false;
  return timingSafeEqual(digest(given), digest(adminToken));
}
