// A WebSocket close reason is at most 123 bytes of UTF-8; `ws` throws beyond that. Every close
// with a human reason goes through here, cut on a character boundary.
export function closeReason(message: string): string {
  let out = "";
  for (const ch of message) {
    if (Buffer.byteLength(out + ch) > 123) break;
    out += ch;
  }
  return out;
}
