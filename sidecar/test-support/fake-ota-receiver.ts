// A fake ESPHome device for tests: the device side of the native OTA protocol on loopback, as
// ESPHome's own client (espota2.py) drives it. Plaintext only (the Noise-encrypted variant of
// 2026.9+ is out of scope). Exchange, all replies single bytes:
//   client magic 6C 26 F7 5C 45              → 00 <version 1|2>
//   client features byte                     → 40 (plain header OK) | 48 <server flags> (extended)
//   auth: 41 (none) | 01 + 32-hex nonce (MD5) | 02 + 64-hex nonce (SHA256);
//         client answers cnonce (same length) + hex(H(password ‖ nonce ‖ cnonce))  → 41 | 82
//   extended only: client ota-type byte (00 = app)
//   client size (4 bytes big-endian)         → 42   (or an error code such as 89: no space)
//   client MD5 hex of the payload (32 chars) → 43
//   client payload in 8 KiB blocks; v2: 47 after each ≥8 KiB received and once at the end
//   → 44 (received) → 45 (update end); client sends 00 and the device "reboots".
// Knobs inject failures: refuse with an error code, drop the connection mid-transfer, or stall
// mid-transfer (stop reading and answering, socket left open, like a device that hung).
// `signedOta` makes it a device built with ESPHome's signed OTA: after the last byte it checks the
// image as such a device does (fake-signed-ota-device.ts) and answers 44 then the device's error byte
// (8D invalid signature, 93 downgrade) instead of 45; an accepted image becomes the running version.
import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { fakeDeviceCheck, type FakeDeviceOptions } from "./fake-signed-ota-device.js";

export interface FakeOtaOptions {
  /** Required password; null = no auth. */
  password?: string | null;
  /** Auth method when a password is set (the client advertises SHA256 support). */
  auth?: "sha256" | "md5";
  /** Protocol version the device reports (default 2). */
  version?: 1 | 2;
  /** Reply with the extended feature flags (0x48) instead of a plain header OK (default true). */
  extended?: boolean;
  /** Answer the size with this error code instead of 0x42 (e.g. 0x89: not enough space). */
  refuseWith?: number;
  /** Destroy the socket once this many payload bytes have arrived. */
  dropAfterBytes?: number;
  /** Stop reading and answering once this many payload bytes have arrived, until the client goes away. */
  stallAfterBytes?: number;
  /** Check the received image like a device with signed OTA (and downgrade protection with a runningVersion). */
  signedOta?: FakeDeviceOptions;
  /** Listen on this port (default: any free one), e.g. a device that was unreachable there comes back. */
  listenPort?: number;
  /** Accept connections and never answer (a device that drops off the network mid-OTA); close() cuts them. */
  hold?: boolean;
}

export interface OtaReceipt {
  bytes: Buffer;
  sha256: string;
  md5Ok: boolean;
  authenticated: boolean;
  /** With `signedOta`: how the device check went (the image was accepted). */
  verdict?: string;
}

export interface OtaAttempt {
  at: number;
  outcome: "ok" | "refused" | "rejected_image" | "dropped" | "stalled" | "bad_auth" | "error";
  detail?: string;
}

const MAGIC = Buffer.from([0x6c, 0x26, 0xf7, 0x5c, 0x45]);

/** Reads exactly n bytes from a socket, in order, however the data arrives. */
class Reader {
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private closed = false;

  constructor(sock: Socket) {
    sock.on("data", (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiter?.();
    });
    const end = () => {
      this.closed = true;
      this.waiter?.();
    };
    sock.on("end", end);
    sock.on("close", end);
    sock.on("error", end);
  }

  get buffered(): number {
    return this.buf.length;
  }

  async take(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      if (this.closed) throw new Error(`connection closed while waiting for ${n} bytes`);
      await new Promise<void>((r) => (this.waiter = r));
      this.waiter = null;
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
}

export class FakeOtaReceiver {
  readonly receipts: OtaReceipt[] = [];
  readonly attempts: OtaAttempt[] = [];
  /** Images a `signedOta` device refused after receiving them. */
  readonly rejected: { sha256: string; error: number; detail: string }[] = [];
  /** Transfers stalling right now (stallAfterBytes reached, client still connected). */
  stalling = 0;
  /** Connections accepted and left unanswered (`hold`). */
  held = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly opts: FakeOtaOptions,
  ) {}

  static async start(opts: FakeOtaOptions = {}): Promise<FakeOtaReceiver> {
    const server = createServer();
    const fake = new FakeOtaReceiver(server, opts);
    server.on("connection", (s) => fake.onConnection(s));
    await new Promise<void>((resolve) => server.listen(opts.listenPort ?? 0, "127.0.0.1", resolve));
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(sock: Socket): void {
    this.sockets.add(sock);
    sock.on("close", () => this.sockets.delete(sock));
    sock.on("error", () => undefined);
    if (this.opts.hold) {
      this.held++;
      return;
    }
    void this.session(sock).then(
      (a) => this.attempts.push({ at: Date.now(), ...a }),
      (err: Error) => {
        this.attempts.push({ at: Date.now(), outcome: "error", detail: err.message });
        sock.destroy();
      },
    );
  }

  private async session(sock: Socket): Promise<Omit<OtaAttempt, "at">> {
    const o = this.opts;
    const version = o.version ?? 2;
    const r = new Reader(sock);
    const send = (...bytes: (number | Buffer | string)[]) => {
      for (const b of bytes) sock.write(typeof b === "number" ? Buffer.from([b]) : b);
    };

    const magic = await r.take(5);
    if (!magic.equals(MAGIC)) {
      send(0x80);
      sock.end();
      return { outcome: "error", detail: "bad magic" };
    }
    send(0x00, version);
    const features = (await r.take(1))[0]!;
    const extended = (o.extended ?? true) && (features & 0x04) !== 0;
    if (extended) send(0x48, 0x00);
    else send(0x40);

    let authenticated = false;
    if (o.password != null) {
      const sha = (o.auth ?? "sha256") === "sha256" && (features & 0x02) !== 0;
      const size = sha ? 64 : 32;
      const nonce = randomBytes(size / 2).toString("hex");
      send(sha ? 0x02 : 0x01, nonce);
      const cnonce = (await r.take(size)).toString("latin1");
      const answer = (await r.take(size)).toString("latin1");
      const expected = createHash(sha ? "sha256" : "md5")
        .update(o.password)
        .update(nonce)
        .update(cnonce)
        .digest("hex");
      if (answer !== expected) {
        send(0x82);
        sock.end();
        return { outcome: "bad_auth" };
      }
      send(0x41);
      authenticated = true;
    } else {
      send(0x41);
    }

    if (extended) {
      const otaType = (await r.take(1))[0]!;
      if (otaType !== 0x00) {
        send(0x8e);
        sock.end();
        return { outcome: "refused", detail: `ota type ${otaType}` };
      }
    }
    const size = (await r.take(4)).readUInt32BE(0);
    if (o.refuseWith !== undefined) {
      send(o.refuseWith);
      sock.end();
      return { outcome: "refused", detail: `0x${o.refuseWith.toString(16)}` };
    }
    send(0x42);
    const md5 = (await r.take(32)).toString("latin1");
    send(0x43);

    const parts: Buffer[] = [];
    let got = 0;
    let sinceAck = 0;
    while (got < size) {
      const n = Math.min(size - got, Math.max(1, r.buffered), 8192);
      const chunk = await r.take(n);
      parts.push(chunk);
      got += chunk.length;
      sinceAck += chunk.length;
      if (o.dropAfterBytes !== undefined && got >= o.dropAfterBytes) {
        sock.destroy();
        return { outcome: "dropped", detail: `after ${got} of ${size} bytes` };
      }
      if (o.stallAfterBytes !== undefined && got >= o.stallAfterBytes) {
        sock.pause();
        this.stalling++;
        await new Promise<void>((resolve) => (sock.destroyed ? resolve() : sock.once("close", () => resolve())));
        this.stalling--;
        return { outcome: "stalled", detail: `after ${got} of ${size} bytes` };
      }
      if (version >= 2 && (sinceAck >= 8192 || got === size)) {
        send(0x47);
        sinceAck = 0;
      }
    }
    const bytes = Buffer.concat(parts);
    const md5Ok = createHash("md5").update(bytes).digest("hex") === md5;
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    let verdict: string | undefined;
    if (o.signedOta) {
      const v = fakeDeviceCheck(bytes, o.signedOta);
      if (v.error !== null) {
        send(0x44, v.error); // received, then the end-of-update error: the staged image never boots
        sock.end();
        this.rejected.push({ sha256, error: v.error, detail: v.detail });
        return { outcome: "rejected_image", detail: `0x${v.error.toString(16)} ${v.detail}` };
      }
      verdict = v.detail;
      if (o.signedOta.runningVersion != null && v.version) o.signedOta.runningVersion = v.version; // it reboots into it
    }
    send(0x44, 0x45);
    await r.take(1).catch(() => undefined); // the client's final 00
    sock.end();
    this.receipts.push({ bytes, sha256, md5Ok, authenticated, ...(verdict ? { verdict } : {}) });
    return { outcome: "ok" };
  }
}
