// Request validation with the shared zod schemas; failures become 400s that say what is wrong.
import type { z } from "zod";
import { describeIssues } from "../util/describe-issues.js";
import { HttpError } from "./errors.js";

export function parseWith<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success)
    throw new HttpError(400, "bad_request", `invalid ${what}: ${describeIssues(r.error.issues)}`, r.error.issues);
  return r.data;
}
