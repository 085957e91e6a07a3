// Content trust as the other objects carry it: a firmware's trust state and verdict, the OTA policy,
// and the decision taken for one job.
import { z } from "zod";
import { Sha256Hex } from "./domain.js";

/**
 * `device_enforced`: verified, and the device itself accepts only images signed by Forge's keys (ESPHome
 * signed OTA), so nothing Forge did not approve can have been flashed over the air since.
 */
export const TRUST_STATES = [
  "unknown",
  "unsigned",
  "verified",
  "device_enforced",
  "unknown_signer",
  "invalid",
  "revoked",
  "stale",
] as const;
export const TrustState = z.enum(TRUST_STATES);
export type TrustState = z.infer<typeof TrustState>;

export const TrustVerdict = z.object({
  state: TrustState,
  reason: z.string(),
  signer: z.string().nullable(),
  buildSequence: z.number().int().nullable(),
  checkedAt: z.string().nullable(),
  firmwareSha256: Sha256Hex.nullable(),
});
export type TrustVerdict = z.infer<typeof TrustVerdict>;

/** Content-trust policy for OTA: `enforce` blocks firmware that is not verified, `warn` flashes and logs, `off`. */
export const TrustPolicy = z.enum(["enforce", "warn", "off"]);
export type TrustPolicy = z.infer<typeof TrustPolicy>;

/** The trust decision taken for one job: the verdict, the policy that applied and what it did. */
export const JobTrust = TrustVerdict.extend({
  policy: TrustPolicy,
  /** `allowed`: verified (or policy off); `warned`: not verified, went ahead under warn; `blocked`: refused. */
  outcome: z.enum(["allowed", "warned", "blocked"]),
  /** `approval` = the build was approved (compile), `gate` = the firmware about to be flashed was checked. */
  stage: z.enum(["approval", "gate"]),
});
export type JobTrust = z.infer<typeof JobTrust>;
