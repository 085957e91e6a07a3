// A self-signed X.509 v3 certificate for a P-256 key, written in DER by hand (Node can parse
// certificates but not make them, and a whole ASN.1 library is too much for one fixed shape).
// Clients never trust it through a CA: workers and Home Assistant pin its key's SHA-256 fingerprint,
// so the fields only need to be well-formed — a subject, validity, the names it serves, server use.
import { randomBytes, sign, X509Certificate, type KeyObject } from "node:crypto";
import { isIP } from "node:net";

export interface SelfSignedOptions {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Common name and the first DNS name (e.g. the host name). */
  commonName: string;
  /** Names and addresses in subjectAltName (a browser that is told to go ahead shows them). */
  altNames?: string[];
  notBefore?: Date;
  /** Validity in days (default 3650: pinned keys are rotated on purpose, not by expiry). */
  days?: number;
}

/** Returns the certificate as PEM. */
export function selfSignedCertificate(o: SelfSignedOptions): string {
  const notBefore = o.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore.getTime() + (o.days ?? 3650) * 86_400_000);
  const name = seq(set(seq(oid("2.5.4.3"), utf8(o.commonName))));
  // ecdsa-with-SHA256: the parameters are absent (RFC 5758).
  const algorithm = seq(oid("1.2.840.10045.4.3.2"));
  // A positive 127-bit serial (the top bit clear keeps the INTEGER positive without a pad byte).
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const spki = o.publicKey.export({ type: "spki", format: "der" });
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    algorithm,
    name,
    seq(time(notBefore), time(notAfter)),
    name,
    spki,
    explicit(3, seq(...extensions([o.commonName, ...(o.altNames ?? [])]))),
  );
  const signature = sign("sha256", tbs, o.privateKey); // DER ECDSA-Sig-Value
  const der = seq(tbs, algorithm, bitString(signature));
  const pem = `-----BEGIN CERTIFICATE-----\n${der
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n?$/, "\n")}-----END CERTIFICATE-----\n`;
  // Parse it back: a malformed certificate fails here, at creation, not in a client's handshake.
  new X509Certificate(pem);
  return pem;
}

function extensions(names: string[]): Buffer[] {
  const general = [...new Set(names)].map((n) => {
    if (isIP(n) === 4) return tagged(0x87, Buffer.from(n.split(".").map(Number)));
    if (isIP(n) === 6) return tagged(0x87, ipv6Bytes(n));
    return tagged(0x82, Buffer.from(n, "ascii")); // dNSName
  });
  return [
    extension("2.5.29.19", true, seq()), // basicConstraints: not a CA
    extension("2.5.29.15", true, bitString(Buffer.from([0x80]), 7)), // keyUsage: digitalSignature
    extension("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.1"))), // extKeyUsage: serverAuth
    extension("2.5.29.17", false, seq(...general)), // subjectAltName
  ];
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [tagged(0x01, Buffer.from([0xff]))] : []), tagged(0x04, value));
}

function ipv6Bytes(addr: string): Buffer {
  const [head, tail = ""] = addr.split("::") as [string, string?];
  const parts = (s: string) => (s ? s.split(":") : []);
  const h = parts(head);
  const t = parts(tail);
  const groups = addr.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
  return Buffer.from(groups.flatMap((g) => [(parseInt(g, 16) >> 8) & 0xff, parseInt(g, 16) & 0xff]));
}

// ---- DER encoding (definite lengths) ----------------------------------------------------------

function tagged(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const seq = (...items: Buffer[]) => tagged(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tagged(0x31, Buffer.concat(items));
const explicit = (n: number, inner: Buffer) => tagged(0xa0 + n, inner);
const utf8 = (s: string) => tagged(0x0c, Buffer.from(s, "utf8"));
const bitString = (bytes: Buffer, unusedBits = 0) => tagged(0x03, Buffer.concat([Buffer.from([unusedBits]), bytes]));

function integer(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && (b[1]! & 0x80) === 0) b = b.subarray(1);
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tagged(0x02, b);
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split(".").map(Number) as [number, number, ...number[]];
  const out = [40 * a + b];
  for (const n of rest) {
    const chunk: number[] = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tagged(0x06, Buffer.from(out));
}

/** UTCTime until 2049, GeneralizedTime from 2050 on (RFC 5280 4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z"; // YYYYMMDDHHMMSSZ
  return d.getUTCFullYear() < 2050
    ? tagged(0x17, Buffer.from(iso.slice(2), "ascii"))
    : tagged(0x18, Buffer.from(iso, "ascii"));
}
