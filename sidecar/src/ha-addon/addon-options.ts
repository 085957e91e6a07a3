// The add-on's options as the Supervisor writes them to /data/options.json, checked again here
// (the Supervisor validates against config.yaml's schema, but a hand-edited file or an older
// options set must fail with a clear message, not half-start). One schema, mirrored by
// addon/config.yaml's `schema:`; a test holds the two together.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { Settings } from "@esphome-forge/shared";
import { ValidationError } from "../util/errors.js";

export const AddonOptions = z
  .object({
    /** `generated`: made on first start and kept in /data; `option`: `admin_token`; `file`: `admin_token_file`. */
    admin_token_source: z.enum(["generated", "option", "file"]).default("generated"),
    admin_token: z.string().optional(),
    /** A file in the add-on's own config folder (/config inside the add-on, addon_configs/<slug> outside). */
    admin_token_file: z.string().optional(),
    metrics_token: z.string().optional(),
    local_worker_slots: Settings.shape.localWorkerSlots.default(1),
    trust_policy: Settings.shape.trustPolicy.default("enforce"),
    allowed_hosts: z.array(z.string().min(1)).default([]),
    /** Keep the ESPHome folder's history in git (a commit per change; see the README's config history). */
    config_history: z.boolean().default(true),
    /** Start once with a blank or older database than the state anchor (the CLI's --accept-database). */
    accept_database: z.boolean().optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.admin_token_source === "option" && !o.admin_token)
      ctx.addIssue({
        code: "custom",
        path: ["admin_token"],
        message: "admin_token_source is `option` but admin_token is empty",
      });
    if (o.admin_token_source === "file" && !o.admin_token_file)
      ctx.addIssue({
        code: "custom",
        path: ["admin_token_file"],
        message: "admin_token_source is `file` but admin_token_file is empty",
      });
  });
export type AddonOptions = z.infer<typeof AddonOptions>;

export function readAddonOptions(file: string): AddonOptions {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new ValidationError(`cannot read the add-on options ${file}: ${(err as Error).message}`);
  }
  const r = AddonOptions.safeParse(raw);
  if (!r.success)
    throw new ValidationError(
      `invalid add-on options in ${file}: ${r.error.issues.map((i) => `${i.path.join(".") || "(options)"}: ${i.message}`).join("; ")}`,
    );
  return r.data;
}
