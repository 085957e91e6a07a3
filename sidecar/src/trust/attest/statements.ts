// in-toto Statement v1 builders and parsers for the two things Forge signs per build:
// the worker's SLSA v1 provenance and the sidecar's OTA approval.
import { z } from "zod";

export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
export const IN_TOTO_STATEMENT_V1 = "https://in-toto.io/Statement/v1";
export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";
/** URNs, not URLs: nothing here is ever fetched, and no domain is implied. */
export const FORGE_BUILD_TYPE = "urn:esphome-forge:build-type:esphome-compile:v1";
export const FORGE_APPROVAL_V1 = "urn:esphome-forge:predicate:ota-approval:v1";
const WORKER_BUILDER_PREFIX = "urn:esphome-forge:worker:";

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const Iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "expected an ISO date");

export const FirmwareSubject = z.object({
  name: z.string().min(1).max(256),
  sha256: Sha256,
  size: z.number().int().nonnegative().optional(),
  kind: z.enum(["ota", "factory", "other"]).optional(),
});
export type FirmwareSubject = z.infer<typeof FirmwareSubject>;

const Subject = z.object({ name: z.string(), digest: z.record(z.string(), z.string()) });

export const Statement = z.object({
  _type: z.literal(IN_TOTO_STATEMENT_V1),
  subject: z.array(Subject).min(1),
  predicateType: z.string().min(1),
  predicate: z.record(z.string(), z.unknown()),
});
export type Statement = z.infer<typeof Statement>;

/** What a worker asserts about one build. */
export interface BuildFacts {
  deviceId: string;
  deviceName?: string | null;
  mac?: string | null;
  /** sha256 of the config bundle the sidecar sent: binds the binary to the inputs. */
  configSha256: string;
  esphomeVersion: string;
  platform: string | null;
  board: string | null;
  workerId: string;
  jobId?: number | null;
  startedAt: string;
  finishedAt: string;
  firmware: FirmwareSubject[];
  forgeVersion?: string | null;
}

const ProvenancePredicate = z.object({
  buildDefinition: z.object({
    buildType: z.literal(FORGE_BUILD_TYPE),
    externalParameters: z.object({
      device: z.object({ id: z.string().min(1), name: z.string().nullish(), mac: z.string().nullish() }),
      configSha256: Sha256,
      esphomeVersion: z.string().min(1),
      platform: z.string().nullable(),
      board: z.string().nullable(),
    }),
    internalParameters: z.object({ jobId: z.number().int().nullish(), firmware: z.array(FirmwareSubject) }),
  }),
  runDetails: z.object({
    builder: z.object({ id: z.string().startsWith(WORKER_BUILDER_PREFIX) }),
    metadata: z.object({ invocationId: z.string().optional(), startedOn: Iso, finishedOn: Iso }),
  }),
});

function subjects(firmware: readonly FirmwareSubject[]): Statement["subject"] {
  return firmware.map((f) => ({ name: f.name, digest: { sha256: f.sha256 } }));
}

export function buildProvenanceStatement(f: BuildFacts): Statement {
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: subjects(f.firmware),
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: FORGE_BUILD_TYPE,
        externalParameters: {
          device: { id: f.deviceId, name: f.deviceName ?? null, mac: f.mac ?? null },
          configSha256: f.configSha256,
          esphomeVersion: f.esphomeVersion,
          platform: f.platform,
          board: f.board,
        },
        internalParameters: { jobId: f.jobId ?? null, firmware: f.firmware },
        resolvedDependencies: [{ uri: `pkg:pypi/esphome@${f.esphomeVersion}` }],
      },
      runDetails: {
        builder: {
          id: `${WORKER_BUILDER_PREFIX}${f.workerId}`,
          version: { "esphome-forge": f.forgeVersion ?? "unknown" },
        },
        metadata: {
          invocationId: f.jobId != null ? `job-${f.jobId}` : undefined,
          startedOn: f.startedAt,
          finishedOn: f.finishedAt,
        },
      },
    },
  };
}

/** What the sidecar asserts when it approves a build for OTA. */
export interface ApprovalFacts {
  deviceId: string;
  /** Monotonic per device: the host-side anti-rollback counter. */
  buildSequence: number;
  firmware: FirmwareSubject[];
  configSha256: string;
  esphomeVersion: string;
  platform: string | null;
  board: string | null;
  worker: { id: string; keyHint: string };
  /** Links the approval to the worker statement it checked (sha256 of its DSSE payload) and its log leaf. */
  buildAttestation: { payloadSha256: string; logIndex: number };
  policyVersion: number;
  revocationListVersion: number | null;
  approvedAt: string;
  jobId?: number | null;
}

const ApprovalPredicate = z.object({
  device: z.object({ id: z.string().min(1) }),
  buildSequence: z.number().int().positive(),
  firmware: z.array(FirmwareSubject).min(1),
  configSha256: Sha256,
  esphomeVersion: z.string().min(1),
  platform: z.string().nullable(),
  board: z.string().nullable(),
  worker: z.object({ id: z.string().min(1), keyHint: z.string().min(1) }),
  buildAttestation: z.object({ payloadSha256: Sha256, logIndex: z.number().int().nonnegative() }),
  policy: z.object({ version: z.number().int().nonnegative() }),
  revocationList: z.object({ version: z.number().int().nonnegative() }).nullable(),
  approvedAt: Iso,
  jobId: z.number().int().nullish(),
});

export function approvalStatement(a: ApprovalFacts): Statement {
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: subjects(a.firmware),
    predicateType: FORGE_APPROVAL_V1,
    predicate: {
      device: { id: a.deviceId },
      buildSequence: a.buildSequence,
      firmware: a.firmware,
      configSha256: a.configSha256,
      esphomeVersion: a.esphomeVersion,
      platform: a.platform,
      board: a.board,
      worker: a.worker,
      buildAttestation: a.buildAttestation,
      policy: { version: a.policyVersion },
      revocationList: a.revocationListVersion === null ? null : { version: a.revocationListVersion },
      approvedAt: a.approvedAt,
      jobId: a.jobId ?? null,
    },
  };
}

export function statementBytes(s: Statement): Buffer {
  return Buffer.from(JSON.stringify(s), "utf8");
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function issues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
}

export function parseStatement(payload: Uint8Array): Parsed<Statement> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload).toString("utf8"));
  } catch {
    return { ok: false, error: "statement payload is not JSON" };
  }
  const r = Statement.safeParse(json);
  return r.success
    ? { ok: true, value: r.data }
    : { ok: false, error: `not an in-toto v1 statement (${issues(r.error)})` };
}

export function subjectDigests(s: Statement): string[] {
  return s.subject.map((x) => x.digest.sha256).filter((d): d is string => typeof d === "string");
}

/** The predicate's firmware list must name exactly the signed subjects, or the two could tell different stories. */
function subjectsMatch(s: Statement, firmware: readonly FirmwareSubject[]): boolean {
  const a = [...subjectDigests(s)].sort();
  const b = firmware.map((f) => f.sha256).sort();
  return a.length === s.subject.length && a.length === b.length && a.every((d, i) => d === b[i]);
}

export function parseBuildFacts(s: Statement): Parsed<BuildFacts> {
  if (s.predicateType !== SLSA_PROVENANCE_V1)
    return { ok: false, error: `predicate type ${s.predicateType} is not SLSA provenance v1` };
  const r = ProvenancePredicate.safeParse(s.predicate);
  if (!r.success) return { ok: false, error: `not a Forge build provenance (${issues(r.error)})` };
  const { buildDefinition: d, runDetails: run } = r.data;
  if (!subjectsMatch(s, d.internalParameters.firmware))
    return { ok: false, error: "provenance firmware list differs from its signed subjects" };
  const p = d.externalParameters;
  const jobId = d.internalParameters.jobId ?? null;
  return {
    ok: true,
    value: {
      deviceId: p.device.id,
      deviceName: p.device.name ?? null,
      mac: p.device.mac ?? null,
      configSha256: p.configSha256,
      esphomeVersion: p.esphomeVersion,
      platform: p.platform,
      board: p.board,
      workerId: run.builder.id.slice(WORKER_BUILDER_PREFIX.length),
      jobId,
      startedAt: run.metadata.startedOn,
      finishedAt: run.metadata.finishedOn,
      firmware: d.internalParameters.firmware,
    },
  };
}

export function parseApprovalFacts(s: Statement): Parsed<ApprovalFacts> {
  if (s.predicateType !== FORGE_APPROVAL_V1)
    return { ok: false, error: `predicate type ${s.predicateType} is not a Forge OTA approval` };
  const r = ApprovalPredicate.safeParse(s.predicate);
  if (!r.success) return { ok: false, error: `malformed approval (${issues(r.error)})` };
  const p = r.data;
  if (!subjectsMatch(s, p.firmware))
    return { ok: false, error: "approval firmware list differs from its signed subjects" };
  return {
    ok: true,
    value: {
      deviceId: p.device.id,
      buildSequence: p.buildSequence,
      firmware: p.firmware,
      configSha256: p.configSha256,
      esphomeVersion: p.esphomeVersion,
      platform: p.platform,
      board: p.board,
      worker: p.worker,
      buildAttestation: p.buildAttestation,
      policyVersion: p.policy.version,
      revocationListVersion: p.revocationList?.version ?? null,
      approvedAt: p.approvedAt,
      jobId: p.jobId ?? null,
    },
  };
}

/**
 * The order a CI-signed statement gives its firmware, for rollback protection: a whole-number
 * `buildSequence` in the predicate, or in a SLSA predicate's `buildDefinition.externalParameters`
 * (e.g. the workflow's run number). Null when the statement carries none.
 */
export function externalOrderOf(statement: Statement | null): number | null {
  if (!statement) return null;
  const p = statement.predicate as {
    buildSequence?: unknown;
    buildDefinition?: { externalParameters?: { buildSequence?: unknown } };
  };
  const v = p.buildSequence ?? p.buildDefinition?.externalParameters?.buildSequence;
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : null;
}
