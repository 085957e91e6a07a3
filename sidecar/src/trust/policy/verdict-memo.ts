// Remembered verdicts for firmware looked up by digest (device views, events, REST). Evaluating
// verifies signatures and log proofs (milliseconds each) and the fleet asks on every job event,
// so answers are kept until something that can change them happens: a new attestation for that
// digest forgets its entries; keys, revocations or rotation forget everything; and no answer is
// older than the TTL, so time-based changes (an expired revocation list turning `stale`) show.
// The upload gate never uses this: it always evaluates the exact bytes.
import type { TrustEvaluation } from "./evaluator.js";

const DEFAULT_TTL_MS = 30_000;
const MAX_ENTRIES = 20_000;

export class VerdictMemo {
  private readonly bySha = new Map<string, Map<string, { value: TrustEvaluation; at: number }>>();
  private size = 0;

  constructor(
    private readonly nowMs: () => number,
    private readonly ttlMs = DEFAULT_TTL_MS,
  ) {}

  get(sha256: string, deviceId: string): TrustEvaluation | undefined {
    const hit = this.bySha.get(sha256)?.get(deviceId);
    if (!hit) return undefined;
    if (this.nowMs() - hit.at > this.ttlMs) return undefined;
    return hit.value;
  }

  set(sha256: string, deviceId: string, value: TrustEvaluation): void {
    if (this.size >= MAX_ENTRIES) this.clear();
    let m = this.bySha.get(sha256);
    if (!m) this.bySha.set(sha256, (m = new Map()));
    if (!m.has(deviceId)) this.size++;
    m.set(deviceId, { value, at: this.nowMs() });
  }

  forgetFirmware(sha256: string): void {
    this.size -= this.bySha.get(sha256)?.size ?? 0;
    this.bySha.delete(sha256);
  }

  /** Forgets the answers `drop` picks (a key enrolment only concerns verdicts that lacked a signer). */
  forgetWhere(drop: (e: TrustEvaluation) => boolean): void {
    for (const [sha, m] of this.bySha) {
      for (const [device, hit] of m) {
        if (!drop(hit.value)) continue;
        m.delete(device);
        this.size--;
      }
      if (m.size === 0) this.bySha.delete(sha);
    }
  }

  clear(): void {
    this.bySha.clear();
    this.size = 0;
  }
}
