// The keys as every verifier sees them: the key table with the sidecar's own roles only as pinned, and
// the trusted root built from the pinned log keys. Both are cached until something changes a key
// (`invalidate`), since every verdict reads them.
import type { KeyLookup, KeyRegistry } from "./key-registry.js";
import type { PinnedKeys } from "./pinned-keys.js";
import { buildTrustedRoot, loadTrustedRoot, type LoadedTrustedRoot, type TrustedRootJson } from "./trusted-root.js";

export class VerifierKeys {
  private rootCache: LoadedTrustedRoot | null = null;
  private keyCache: KeyLookup | null = null;

  /** `logName`: the name our log signs its checkpoints with (and the trusted root's host for it). */
  constructor(
    private readonly keys: KeyRegistry,
    private readonly pins: PinnedKeys,
    private readonly logName: () => string,
    private readonly extraTrustedRoot?: TrustedRootJson,
  ) {}

  /** The key table as verifiers see it: the sidecar's own roles only as pinned. */
  keyLookup(): KeyLookup {
    return (this.keyCache ??= this.pins.filter(this.keys.snapshot()));
  }

  /** Every log key we ever used, each valid for its enrolment window: old bundles stay verifiable. */
  trustedRootJson(): TrustedRootJson {
    // From the pinned keys, not the key table: a log key added to the database is never served.
    const lookup = this.keyLookup();
    const logs = this.pins
      .list()
      .filter((p) => p.role === "log")
      .map((p) => lookup(p.hint)!)
      .map((k) => ({
        name: this.logName(),
        publicKey: k.publicKey,
        validFrom: new Date(Math.floor(k.enrolledAt.getTime() / 1000) * 1000),
        validTo: k.retiredAt ?? k.revokedAt,
      }));
    return buildTrustedRoot(logs, this.extraTrustedRoot);
  }

  trustedRoot(): LoadedTrustedRoot {
    if (this.rootCache) return this.rootCache;
    const r = loadTrustedRoot(this.trustedRootJson());
    if (!r.ok) throw new Error(r.error);
    this.rootCache = r.value;
    return r.value;
  }

  /** A key was enrolled, rotated, retired or revoked: rebuild both on next use. */
  invalidate(): void {
    this.rootCache = null;
    this.keyCache = null;
  }
}
