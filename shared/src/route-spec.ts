// The shape of one entry of the REST route table (shared/src/api-routes.ts), and the small schemas
// several route groups share.
import { z } from "zod";
import { Sha256Hex } from "./domain.js";

export interface RouteSpec {
  method: "get" | "post" | "patch" | "delete" | "put";
  /** Express-style path below /api/v1, e.g. `/jobs/:id`. */
  path: string;
  summary: string;
  auth: boolean;
  /** A worker token is accepted as well as the admin token (firmware an `upload` job flashes). */
  workers?: true;
  /** The read-only metrics token is accepted as well as the admin token (Prometheus, KEDA). */
  metrics?: true;
  /** One schema per `:param` of the path; the sidecar parses `req.params` with it (400 on failure). */
  params?: z.ZodObject;
  query?: z.ZodType;
  body?: z.ZodType;
  /** JSON response schema, or a media type for non-JSON responses. */
  response: z.ZodType | { mediaType: string; description: string };
  /** Success statuses with what each means, when the route answers other than a plain 200. */
  statuses?: Partial<Record<200 | 201, string>>;
  tag: string;
}

/** The answer of a route that has nothing to say but that it worked. */
export const okResponse = z.object({ ok: z.literal(true) });
export const sha256Params = z.object({ sha256: Sha256Hex });
/** A device signing key by its SBv2 digest or an unambiguous prefix of it (at least 8 hex digits). */
export const otaKeyDigestParams = z.object({
  digest: z.string().regex(/^[0-9a-f]{8,64}$/, "expected the key's SBv2 digest (8 to 64 lowercase hex digits)"),
});
