// The device signing keys the sidecar holds for ESPHome's signed OTA: RSA-3072, generated here, the
// private halves in 0600 files beside the other trust keys (`<data>/trust/keys/ota/<digest>.key`, in a
// 0700 folder) and never handed out; each key is known by its SBv2 key digest, the value a device's
// `verification_keys` lists. An index file beside them records name, creation, state and which signer
// holds the key ("file" today; a PKCS#11 or command signer is another kind later).
//
// Active keys sign every image (one block each, oldest first; at most three, the block limit); retired
// keys sign nothing and stay listed. Rotation adds a key next to the current one, so images carry both
// blocks until every device trusts the new key and the old one is retired.
import { generateKeyPair } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { OTA_KEY_NAME } from "@esphome-forge/shared";
import { writePrivateKeyPem } from "../keys/keys.js";
import { SIG_BLOCK_MAX, sbv2PublicKey } from "./sbv2-block.js";
import { fileSigner, type OtaSigner } from "./signer.js";

export interface OtaKeyRecord {
  /** SBv2 key digest (SHA-256 of the key region), 64 lower-case hex: the key's id. */
  digest: string;
  name: string;
  createdAt: string;
  state: "active" | "retired";
  retiredAt: string | null;
  /** Where the private key is: a file (name inside the store's folder). */
  signer: { kind: "file"; file: string };
  publicKeyPem: string;
}

export class OtaKeyError extends Error {
  constructor(
    readonly code: "not_found" | "ambiguous" | "limit" | "last_active" | "state",
    message: string,
  ) {
    super(message);
  }
}

interface IndexFile {
  version: 1;
  keys: OtaKeyRecord[];
}

const INDEX = "index.json";
const generateRsa = promisify(generateKeyPair);

export class OtaKeyStore {
  private keys: OtaKeyRecord[];
  /** Told after every change of the key set (device views show which keys Forge signs with). */
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly dir: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.keys = readIndex(join(dir, INDEX));
  }

  list(): OtaKeyRecord[] {
    return this.keys.map((k) => ({ ...k }));
  }

  /** Active keys, oldest first: the order of the blocks in a signed image. */
  active(): OtaKeyRecord[] {
    return this.list().filter((k) => k.state === "active");
  }

  /** A key by its digest or a unique prefix of at least 8 hex digits. */
  get(id: string): OtaKeyRecord {
    const want = id.trim().toLowerCase();
    if (!/^[0-9a-f]{8,64}$/.test(want))
      throw new OtaKeyError("not_found", `${JSON.stringify(id)} is not a key digest (8 to 64 hex digits)`);
    const hits = this.keys.filter((k) => k.digest.startsWith(want));
    if (hits.length === 0) throw new OtaKeyError("not_found", `no device signing key ${want}`);
    if (hits.length > 1) throw new OtaKeyError("ambiguous", `${want} matches ${hits.length} keys; give more digits`);
    return { ...hits[0]! };
  }

  /** Generates a key, active at once (off the event loop: an RSA-3072 key takes a second or more). */
  async create(name?: string): Promise<OtaKeyRecord> {
    if (this.active().length >= SIG_BLOCK_MAX)
      throw new OtaKeyError("limit", `${SIG_BLOCK_MAX} keys are active, the most an image can carry; retire one first`);
    const label = (name ?? "").trim() || `ota-${this.now().toISOString().slice(0, 10)}`;
    if (!OTA_KEY_NAME.test(label))
      throw new OtaKeyError("state", `key name ${JSON.stringify(label)}: 1-64 letters, digits, space . _ : @ + -`);
    const { privateKey, publicKey } = await generateRsa("rsa", { modulusLength: 3072, publicExponent: 65537 });
    if (this.active().length >= SIG_BLOCK_MAX) throw new OtaKeyError("limit", "another key was created meanwhile");
    const digest = sbv2PublicKey(publicKey).digest;
    const file = `${digest}.key`;
    // The key file first: a crash before the index is written leaves an unused file, never a listed key without one.
    writePrivateKeyPem(join(this.dir, file), privateKey);
    const record: OtaKeyRecord = {
      digest,
      name: label,
      createdAt: this.now().toISOString(),
      state: "active",
      retiredAt: null,
      signer: { kind: "file", file },
      publicKeyPem: publicKey.export({ type: "spki", format: "pem" }) as string,
    };
    this.save([...this.keys, record]);
    return { ...record };
  }

  /** Adds a key next to the active ones (images then carry a block of each) and says what to do next. */
  async rotate(name?: string): Promise<{ added: OtaKeyRecord; active: OtaKeyRecord[]; steps: string[] }> {
    const previous = this.active();
    if (previous.length === 0) throw new OtaKeyError("state", "no active key to rotate from; create one");
    const added = await this.create(name);
    return { added, active: this.active(), steps: rotationSteps(added, previous) };
  }

  /** Stops signing with a key. Retiring the last active key needs `force` (no image could be signed after). */
  retire(id: string, opts: { force?: boolean } = {}): OtaKeyRecord {
    const key = this.get(id);
    if (key.state === "retired") throw new OtaKeyError("state", `key ${key.digest} is already retired`);
    if (this.active().length === 1 && !opts.force)
      throw new OtaKeyError(
        "last_active",
        `key ${key.digest} is the only active key: devices that enforce signed OTA could then not be flashed by Forge; create or rotate first (or force)`,
      );
    const retired = { ...key, state: "retired" as const, retiredAt: this.now().toISOString() };
    this.save(this.keys.map((k) => (k.digest === key.digest ? retired : k)));
    return retired;
  }

  /** Signers for the active keys, in block order. */
  signers(): OtaSigner[] {
    return this.active().map((k) => this.signerFor(k));
  }

  signerFor(key: OtaKeyRecord): OtaSigner {
    return fileSigner(join(this.dir, key.signer.file));
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private save(keys: OtaKeyRecord[]): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const path = join(this.dir, INDEX);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: 1, keys } satisfies IndexFile, null, 2) + "\n", { mode: 0o600 });
    renameSync(tmp, path);
    this.keys = keys;
    for (const fn of this.listeners) fn();
  }
}

/** The index, checked: a key file name other than `<digest>.key` (say, a path elsewhere) is refused. */
function readIndex(path: string): OtaKeyRecord[] {
  if (!existsSync(path)) return [];
  let keys: unknown;
  try {
    keys = (JSON.parse(readFileSync(path, "utf8")) as IndexFile).keys;
  } catch (err) {
    throw new Error(`${path} is not a readable key index: ${(err as Error).message}`);
  }
  const ok = (k: OtaKeyRecord) =>
    /^[0-9a-f]{64}$/.test(k.digest) &&
    k.signer?.kind === "file" &&
    k.signer.file === `${k.digest}.key` &&
    (k.state === "active" || k.state === "retired") &&
    typeof k.publicKeyPem === "string";
  if (!Array.isArray(keys) || !keys.every(ok)) throw new Error(`${path} holds an invalid device signing key entry`);
  return keys as OtaKeyRecord[];
}

/** What to do, in order, after `rotate` added `added` next to the keys in `previous`. */
export function rotationSteps(added: OtaKeyRecord, previous: OtaKeyRecord[]): string[] {
  const old = previous.map((k) => k.digest.slice(0, 16)).join(", ");
  return [
    `Add the new key ${added.digest} to every device's signed_ota_verification verification_keys, keeping ${old || "the current keys"} (the device YAML helper writes the block).`,
    "Build and flash each device: images are now signed with every active key, so a device accepts them whether it still runs firmware that trusts only the old key or already the new one.",
    `When every device runs firmware that trusts the new key, retire the old one (esphome-forge ota-keys retire ${previous[0]?.digest.slice(0, 16) ?? "OLD"}); images are then signed by the new key alone. Drop the old digest from verification_keys at the next build.`,
  ];
}
