// The highest revocation list ever published or imported, as its signed bundle, in a file outside the
// database (`<data>/trust/revocation-anchor.json`). Deleting list rows from a copied `forge.db` does not
// un-revoke anything: the store keeps the anchored list in force and the audit reports the difference.
// The bundle is checked with the pinned revocation key on use, like the database's copy.
import { renameSync, writeFileSync } from "node:fs";
import type { SerializedBundle } from "@sigstore/bundle";
import { readIfPresent } from "../../util/read-if-present.js";

export interface RevocationAnchorContent {
  version: number;
  /** sha256 of the signed payload (as the database and the log record it). */
  digest: string;
  logIndex: number | null;
  bundle: SerializedBundle;
}

export interface RevocationAnchor {
  read(): RevocationAnchorContent | null;
  write(c: RevocationAnchorContent): void;
}

export class RevocationAnchorError extends Error {}

export function revocationAnchorFile(file: string): RevocationAnchor {
  return {
    read() {
      const text = readIfPresent(file);
      if (text === null) return null;
      const c = JSON.parse(text) as Partial<RevocationAnchorContent>;
      if (!Number.isSafeInteger(c.version) || typeof c.digest !== "string" || typeof c.bundle !== "object")
        throw new RevocationAnchorError(`${file} is not a revocation anchor; restore it from a backup`);
      return c as RevocationAnchorContent;
    },
    write(c) {
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(c) + "\n", { mode: 0o600 });
      renameSync(tmp, file);
    },
  };
}
