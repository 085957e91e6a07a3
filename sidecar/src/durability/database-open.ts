// Opening forge.db loudly: a missing, empty or unreadable database in a data folder that was used
// before (it holds the state anchor, the instance id or trust keys) is refused with the file and the
// recovery step named, instead of starting as a blank install (no jobs, no worker tokens, a new
// trust log) without a word.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { DataPaths } from "../config/paths.js";
import { openDatabase, type Db } from "../db/database.js";
import { anchorPath } from "./anchor-file.js";
import { ACCEPT_FLAG, DamagedDatabaseError } from "./damaged-database.js";

export interface OpenStateOptions {
  /** Start even so (a deliberate fresh start with the old keys and instance id). */
  acceptDatabase?: boolean;
  log?: (msg: string) => void;
}

export function openStateDatabase(paths: DataPaths, o: OpenStateOptions = {}): Db {
  const file = paths.dbFile;
  const before = statSync(file, { throwIfNoEntry: false });
  const used = priorUse(paths);
  const refuseBlank = (what: string) => {
    if (used.length === 0) return;
    const msg =
      `${file} ${what}, but this data folder was used before (it holds ${used.join(", ")}). Starting now would ` +
      `look like a blank install: no jobs, no worker tokens, a new trust log.\nRecovery: restore forge.db (with ` +
      `its forge.db-wal, if the backup has one) into ${paths.dataDir} and start again. To start over with an ` +
      `empty database on purpose (keys and instance id kept), start once with ${ACCEPT_FLAG}.`;
    if (!o.acceptDatabase) throw new DamagedDatabaseError(msg);
    o.log?.(`${ACCEPT_FLAG}: ${msg.split("\n")[0]} — starting with an empty database as asked`);
  };
  if (!before) refuseBlank("is missing");
  else if (before.size === 0) refuseBlank("is empty (0 bytes)");
  try {
    return openDatabase(file, {
      beforeSetup: (db) => {
        if (before && before.size > 0 && (db.pragma("user_version", { simple: true }) as number) === 0)
          refuseBlank("holds no Forge tables");
      },
    });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT") {
      throw new DamagedDatabaseError(
        `${file} is damaged (${(err as Error).message}).\nRecovery: stop the sidecar, move ${file} aside and ` +
          `restore it (with its forge.db-wal) from a backup; \`sqlite3 ${file} .recover\` may save what is left.`,
      );
    }
    throw err;
  }
}

/** What shows that the data folder held a working install. */
function priorUse(paths: DataPaths): string[] {
  const found: string[] = [];
  if (existsSync(anchorPath(paths.dataDir))) found.push("the state anchor");
  if (existsSync(join(paths.dataDir, "instance-id"))) found.push("an instance id");
  let keys: string[] = [];
  try {
    keys = readdirSync(join(paths.dataDir, "trust", "keys"));
  } catch {
    // no keys folder
  }
  if (keys.length > 0) found.push("trust keys");
  return found;
}
