import { readFileSync } from "node:fs";

/** The sidecar package version, read once from its package.json. */
export const SIDECAR_VERSION: string = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;
