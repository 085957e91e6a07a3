// The config workspace: the ESPHome config folder as a git repository Forge edits, with history,
// diffs, restore, device templates and an optional remote it pushes to. REST bodies under /api/v1.
import { z } from "zod";
import { Device } from "./devices.js";
import { CommitId, DeviceId } from "./domain.js";

/** A commit as a client may name it: a full id or an abbreviation of at least 7 hex digits. */
export const CommitRef = z.string().regex(/^[0-9a-f]{7,64}$/, "expected a commit id (7 to 64 lowercase hex digits)");

/** Who asked for a change, as the commit records it (`Forge-Source` trailer). */
export const CHANGE_SOURCES = ["api", "card", "ha", "external", "forge"] as const;
export const ChangeSource = z.enum(CHANGE_SOURCES);
export type ChangeSource = z.infer<typeof ChangeSource>;
/** Sources a client may claim in `X-Forge-Source` (`external` and `forge` are the sidecar's own). */
export const ClientChangeSource = z.enum(["api", "card", "ha"]);
/** Request headers naming the person behind an admin-token request (HA passes its user's name). */
export const ACTOR_HEADER = "x-forge-user";
export const SOURCE_HEADER = "x-forge-source";
/** A display name for a commit's author: no angle brackets, line breaks or control characters. */
export const ActorName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^<>\p{Cc}]+$/u, "a name without '<', '>' or control characters");

export const CHANGE_ACTIONS = [
  "init",
  "adopt",
  "edit",
  "metadata",
  "create",
  "rename",
  "delete",
  "restore",
  "external",
] as const;
export const ChangeAction = z.enum(CHANGE_ACTIONS);
export type ChangeAction = z.infer<typeof ChangeAction>;

/** A config-relative file path: POSIX separators, no `..`, no hidden segments. */
export const ConfigPath = z
  .string()
  .min(1)
  .max(512)
  .refine(
    (p) =>
      !p.startsWith("/") &&
      !p.includes("\\") &&
      !p.includes("\0") &&
      p.split("/").every((s) => s && !s.startsWith(".")),
    "a path inside the config folder: no leading '/', no '..' or hidden segments",
  );

export const CommitFile = z.object({
  /** `A` added, `M` modified, `D` deleted, `R` renamed (from `oldPath`). */
  status: z.enum(["A", "M", "D", "R", "C", "T"]),
  path: z.string(),
  oldPath: z.string().nullable(),
});

export const HistoryEntry = z.object({
  commit: CommitId,
  shortCommit: z.string(),
  author: z.string(),
  authorEmail: z.string(),
  date: z.string(),
  subject: z.string(),
  /** Who asked (`Forge-Source` trailer); null for commits not made by Forge. */
  source: ChangeSource.nullable(),
  action: ChangeAction.nullable(),
  files: z.array(CommitFile),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

export const HistoryQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
    /** Folder history only: the commits touching this file (renames followed). */
    path: ConfigPath.optional(),
  })
  .strict();
export const HistoryPage = z.object({
  entries: z.array(HistoryEntry),
  /** The offset of the next page, null on the last one. */
  nextOffset: z.number().int().nullable(),
});
export type HistoryPage = z.infer<typeof HistoryPage>;

/** `reveal=true`: an admin explicitly asks for secrets.yaml's content (never sent otherwise). */
const Reveal = z.enum(["true", "false"]).transform((v) => v === "true");

export const DiffQuery = z
  .object({
    from: CommitRef,
    /** Default: the file as it is now (the working tree). */
    to: CommitRef.optional(),
    path: ConfigPath.optional(),
    reveal: Reveal.optional(),
  })
  .strict();
export const DiffResponse = z.object({
  from: CommitId,
  /** null = the working tree. */
  to: CommitId.nullable(),
  /** Unified diff (git's format); empty when nothing differs. */
  diff: z.string(),
});
export type DiffResponse = z.infer<typeof DiffResponse>;

export const FileQuery = z.object({ path: ConfigPath.optional(), reveal: Reveal.optional() }).strict();

export const WorkspaceFile = z.object({
  path: z.string(),
  content: z.string(),
  /** sha256 of the file's bytes: send it back as `If-Match` when saving. */
  sha256: z.string(),
  size: z.number().int().nonnegative(),
  /** The commit the file's content was read at (null when it was read from disk). */
  commit: CommitId.nullable(),
});
export type WorkspaceFile = z.infer<typeof WorkspaceFile>;

export const SaveFileRequest = z
  .object({
    content: z.string().max(256 * 1024),
    /** An optional commit message body. */
    message: z.string().max(2000).optional(),
    /** Queue a `validate` job for every device using the file (default true). */
    validate: z.boolean().default(true),
  })
  .strict();

export const ValidationJobs = z.array(z.object({ deviceId: DeviceId, jobId: z.number().int() }));

export const SaveFileResponse = z.object({
  path: z.string(),
  sha256: z.string(),
  /** The commit that recorded the change; null when the content did not change. */
  commit: CommitId.nullable(),
  /** The `validate` jobs queued (watch them for ESPHome's errors with file and line). */
  validation: ValidationJobs,
});
export type SaveFileResponse = z.infer<typeof SaveFileResponse>;

/** The body of a 409 on a stale save: the file's hash now and what differs (now → yours). */
export const SaveConflict = z.object({ currentSha256: z.string().nullable(), diff: z.string().nullable() });

export const DEVICE_TEMPLATES = ["esp32", "esp8266", "rp2040", "bk72xx"] as const;
export const DeviceTemplate = z.enum(DEVICE_TEMPLATES);
export type DeviceTemplate = z.infer<typeof DeviceTemplate>;

/** An ESPHome node name (`esphome.name`, the hostname): lowercase letters, digits and '-'. */
export const NodeName = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, "a node name: lowercase letters, digits and '-' (at most 63)");

export const CreateDeviceRequest = z
  .object({
    name: NodeName,
    friendlyName: z.string().min(1).max(120).optional(),
    template: DeviceTemplate,
    /** The board (default: a common one for the template). */
    board: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/)
      .optional(),
    message: z.string().max(2000).optional(),
    validate: z.boolean().default(true),
  })
  .strict();
export const CreateDeviceResponse = z.object({
  device: Device.nullable(),
  file: WorkspaceFile,
  commit: CommitId.nullable(),
  /** Secret references the template wanted but secrets.yaml lacks. */
  warnings: z.array(z.string()),
  validation: ValidationJobs,
});
export type CreateDeviceResponse = z.infer<typeof CreateDeviceResponse>;

export const RenameDeviceRequest = z.object({ name: NodeName, message: z.string().max(2000).optional() }).strict();
export const RenameDeviceResponse = z.object({
  from: z.string(),
  to: z.string(),
  commit: CommitId.nullable(),
  warnings: z.array(z.string()),
});

export const DeleteDeviceResponse = z.object({ path: z.string(), commit: CommitId.nullable() });

export const RestoreRequest = z
  .object({
    commit: CommitRef,
    /** Folder restore only: one file (a deleted device's file comes back); without it, the whole folder. */
    path: ConfigPath.optional(),
    message: z.string().max(2000).optional(),
  })
  .strict();
export const RestoreResponse = z.object({
  /** The new commit; null when the files already matched. */
  commit: CommitId.nullable(),
  paths: z.array(z.string()),
});
export type RestoreResponse = z.infer<typeof RestoreResponse>;

export const TemplateInfo = z.object({ id: DeviceTemplate, label: z.string(), board: z.string() });
export const TemplateList = z.object({
  templates: z.array(TemplateInfo),
  /** Key names in secrets.yaml (never values), for `!secret` references. */
  secretKeys: z.array(z.string()),
});

// ---- remote ------------------------------------------------------------------------------------

export const RemoteAuth = z.discriminatedUnion("type", [
  z.object({ type: z.literal("none") }).strict(),
  z.object({ type: z.literal("ssh"), privateKey: z.string().min(32).max(16_384) }).strict(),
  z
    .object({
      type: z.literal("token"),
      token: z.string().min(1).max(1024),
      username: z.string().min(1).max(128).default("git"),
    })
    .strict(),
]);

export const RemoteUrl = z
  .string()
  .min(1)
  .max(1024)
  .refine(
    // No user or host may start with '-' (ssh would take it as an option), no spaces, no other transports.
    (u) =>
      /^(?:https|ssh):\/\/(?:[A-Za-z0-9._~%+][A-Za-z0-9._~%+-]*@)?[A-Za-z0-9][A-Za-z0-9.-]*(?::\d{1,5})?\/\S*$/.test(
        u,
      ) ||
      /^file:\/\/\/\S+$/.test(u) ||
      /^[A-Za-z0-9._][A-Za-z0-9._-]*@[A-Za-z0-9][A-Za-z0-9.-]*:[^\s-]\S*$/.test(u),
    "a remote: https://host/…, ssh://host/…, user@host:path or file:///path",
  );

export const RemoteConfigRequest = z
  .object({
    url: RemoteUrl,
    branch: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/)
      .refine((b) => !b.includes("..") && !b.endsWith(".lock") && !b.endsWith("/"), "a branch name")
      .default("main"),
    auth: RemoteAuth.default({ type: "none" }),
  })
  .strict();

export const RemoteStatus = z.object({
  /** `off`: no remote; `ok`: everything pushed; `pending`: a push is due or running; `failing`: the last push failed. */
  state: z.enum(["off", "ok", "pending", "failing"]),
  /** The remote without credentials. */
  url: z.string().nullable(),
  branch: z.string().nullable(),
  auth: z.enum(["none", "ssh", "token"]).nullable(),
  lastPushAt: z.string().nullable(),
  lastPushedCommit: CommitId.nullable(),
  lastAttemptAt: z.string().nullable(),
  lastError: z.string().nullable(),
  failures: z.number().int().nonnegative(),
  nextRetryAt: z.string().nullable(),
});
export type RemoteStatus = z.infer<typeof RemoteStatus>;

export const WorkspaceStatus = z.object({
  /** False when the config folder cannot be a git repository here (no git, not writable); `error` says why. */
  enabled: z.boolean(),
  error: z.string().nullable(),
  head: CommitId.nullable(),
  branch: z.string().nullable(),
  /** The repository existed before Forge and was adopted as is. */
  adopted: z.boolean(),
  /** The config folder is a subfolder of the repository (e.g. HA's whole /config under git). */
  subfolder: z.string().nullable(),
  /** secrets.yaml is under version control (opt-in: see the README). */
  secretsTracked: z.boolean(),
  /** Changes on disk not yet committed (the watcher commits them once they settle). */
  pendingExternal: z.number().int().nonnegative(),
  remote: RemoteStatus,
});
export type WorkspaceStatus = z.infer<typeof WorkspaceStatus>;
