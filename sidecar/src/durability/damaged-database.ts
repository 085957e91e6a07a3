// The start refusal for a damaged or rolled-back database: what is wrong, with which file, and the
// recovery step. The CLI prints the message as is (it carries a `code`).
import { ForgeError } from "../util/errors.js";

export class DamagedDatabaseError extends ForgeError {
  readonly code = "damaged_database";
  override readonly name = "DamagedDatabaseError";
}

/** The way out the messages name: restore, or accept the database as it is. */
export const ACCEPT_FLAG = "--accept-database";
