// The TLS channel binding both ends of a key proof compute: keying material exported from the
// session (RFC 5705 / RFC 8446 7.5), the same on the worker and the sidecar only when they share one
// TLS session — not through a relay that terminates TLS in between. `none` on a plain connection.
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { TLS_PROOF_BYTES, TLS_PROOF_LABEL } from "@esphome-forge/shared";

export function tlsChannel(socket: Socket | TLSSocket | null | undefined): string {
  const tls = socket as Partial<TLSSocket> | null | undefined;
  if (!tls?.encrypted || !tls.exportKeyingMaterial) return "none";
  return tls.exportKeyingMaterial(TLS_PROOF_BYTES, TLS_PROOF_LABEL, Buffer.alloc(0)).toString("base64url");
}
