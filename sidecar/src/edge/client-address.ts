// The address a request came from, as the limiter and the per-client caps count it. IPv4 clients
// of a dual-stack listener show up as `::ffff:a.b.c.d`; they are the same client as `a.b.c.d`.
export function clientAddress(socket: { remoteAddress?: string | undefined }): string {
  const addr = socket.remoteAddress ?? "unknown";
  return addr.startsWith("::ffff:") && addr.includes(".") ? addr.slice(7) : addr;
}
