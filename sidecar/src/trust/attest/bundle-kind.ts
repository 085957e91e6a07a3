// Sorts bundle files handed to `verify` into approval / worker provenance / outside signature by what
// they claim to be. Nothing here is trusted: the evaluator verifies whatever lands in each slot.
import type { Bundle } from "@sigstore/bundle";
import {
  FORGE_APPROVAL_V1,
  FORGE_BUILD_TYPE,
  IN_TOTO_PAYLOAD_TYPE,
  parseStatement,
  SLSA_PROVENANCE_V1,
} from "./statements.js";
import { parseBundle } from "./verify-bundle.js";

export interface ClassifiedBundles {
  approval?: unknown;
  /** The parsed approval, for checking a proof file against its log entry. */
  approvalParsed?: Bundle;
  /** The device the approval claims (unverified; for messages only). */
  approvalDevice?: string;
  build?: unknown;
  external?: unknown;
  notes: string[];
}

export function classifyBundles(files: { path: string; bytes: Buffer }[]): ClassifiedBundles {
  const out: ClassifiedBundles = { notes: [] };
  const take = (slot: "approval" | "build" | "external", path: string, value: unknown): boolean => {
    if (out[slot] !== undefined) {
      out.notes.push(`ignored ${path}: only one ${slot} bundle is used`);
      return false;
    }
    out[slot] = value;
    return true;
  };
  for (const f of files) {
    const parsed = parseBundle(f.bytes);
    if (!parsed.ok) {
      // Let the evaluator report it: a broken bundle must read as `invalid`, not vanish.
      take(out.approval === undefined ? "approval" : "external", f.path, f.bytes);
      continue;
    }
    const content = parsed.bundle.content;
    if (content.$case !== "dsseEnvelope" || content.dsseEnvelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
      take("external", f.path, f.bytes);
      continue;
    }
    const st = parseStatement(content.dsseEnvelope.payload);
    const predicate = st.ok ? st.value.predicate : {};
    if (st.ok && st.value.predicateType === FORGE_APPROVAL_V1) {
      if (take("approval", f.path, f.bytes)) {
        out.approvalParsed = parsed.bundle;
        const device = (predicate as { device?: { id?: unknown } }).device?.id;
        if (typeof device === "string") out.approvalDevice = device;
      }
    } else if (
      st.ok &&
      st.value.predicateType === SLSA_PROVENANCE_V1 &&
      (predicate as { buildDefinition?: { buildType?: unknown } }).buildDefinition?.buildType === FORGE_BUILD_TYPE
    ) {
      take("build", f.path, f.bytes);
    } else {
      take("external", f.path, f.bytes);
    }
  }
  return out;
}
