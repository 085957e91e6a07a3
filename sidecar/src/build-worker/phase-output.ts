// What a phase's output tells us beyond its exit code: the structured errors `esphome config`
// reports for an invalid config (validate), and a capped copy of stdout/stderr to parse them from.
import path from "node:path";
import type { ResultMessage } from "@esphome-forge/shared";
import { parseConfigErrors } from "../inventory/esphome-output.js";

export type ValidationError = NonNullable<ResultMessage["validationErrors"]>[number];

const MAX_CAPTURE_CHARS = 512 * 1024;
const MAX_ERRORS = 50;

/** Keeps up to 512 KiB of each stream (ESPHome's error report comes early and is short). */
export class OutputCapture {
  stdout = "";
  stderr = "";

  push(source: "stdout" | "stderr", text: string): void {
    if (this[source].length < MAX_CAPTURE_CHARS) this[source] += text.slice(0, MAX_CAPTURE_CHARS - this[source].length);
  }
}

/** `esphome config`'s error report as (file, line, message), paths relative to the config's folder. */
export function validationErrors(capture: OutputCapture, configPath: string): ValidationError[] {
  const configDir = path.dirname(configPath);
  return parseConfigErrors(capture.stdout, capture.stderr, configDir)
    .slice(0, MAX_ERRORS)
    .map((d) => ({ file: d.file, line: d.line, message: d.message.slice(0, 2000) }));
}

/** One line naming the first error and how many more there are. */
export function summarizeValidation(errors: ValidationError[]): string {
  const first = errors[0];
  if (!first) return "the config is invalid";
  const where = first.file ? `${first.file}${first.line !== null ? `:${first.line}` : ""}: ` : "";
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : "";
  return `invalid config: ${where}${first.message}${more}`;
}
