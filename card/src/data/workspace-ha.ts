// The workspace through Home Assistant's `esphome_forge/config_*` commands (the card): HA records
// its user as the author and allows writes to administrators only. A refused save answers with
// `{conflict}` (HA's errors carry no details), turned here into the same ForgeError as over REST.
import { ForgeError } from "./types.js";
import type { SaveConflict, WorkspaceApi } from "./workspace-api.js";

type Call = <T>(type: string, params: Record<string, unknown>) => Promise<T>;

export const HA_WORKSPACE_COMMANDS = {
  read: "esphome_forge/config_read",
  save: "esphome_forge/config_save",
  history: "esphome_forge/config_history",
  diff: "esphome_forge/config_diff",
  restore: "esphome_forge/config_restore",
  templates: "esphome_forge/config_templates",
  create: "esphome_forge/device_create",
} as const;

const C = HA_WORKSPACE_COMMANDS;

export function haWorkspace(call: Call): WorkspaceApi {
  const opt = (k: string, v: unknown) => (v === undefined ? {} : { [k]: v });
  return {
    read: (id, path) => call(C.read, { device_id: id, ...opt("path", path) }),
    async save(id, content, sha256, path) {
      const r = await call<{ saved?: unknown; conflict?: SaveConflict; message?: string }>(C.save, {
        device_id: id,
        content,
        sha256,
        ...opt("path", path),
      });
      if (r.conflict)
        throw new ForgeError(r.message ?? "the file changed since you loaded it", "conflict", 409, r.conflict);
      return r.saved as Awaited<ReturnType<WorkspaceApi["save"]>>;
    },
    history: (id, offset, limit) => call(C.history, { device_id: id, offset, limit }),
    diff: (id, from, to) => call(C.diff, { device_id: id, from, ...opt("to", to) }),
    restore: (id, commit) => call(C.restore, { device_id: id, commit }),
    templates: () => call(C.templates, {}),
    create: (d) =>
      call(C.create, {
        name: d.name,
        template: d.template,
        ...opt("friendly_name", d.friendlyName),
        ...opt("board", d.board),
      }),
  };
}
