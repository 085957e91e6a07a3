// The config workspace as the views see it: a device's files, saving (guarded by the hash of what
// was loaded), history, diffs, restore and new devices. Both backends implement it: the sidecar's
// REST (standalone page) and Home Assistant's `esphome_forge/config_*` commands (the card).
import type {
  CreateDeviceResponse,
  DeviceTemplate,
  DiffResponse,
  HistoryPage,
  RestoreResponse,
  SaveFileResponse,
  WorkspaceFile,
} from "@esphome-forge/shared";

export type {
  CreateDeviceResponse,
  DeviceTemplate,
  DiffResponse,
  HistoryPage,
  RestoreResponse,
  SaveFileResponse,
  WorkspaceFile,
};

export interface TemplateChoice {
  id: DeviceTemplate;
  label: string;
  board: string;
}

export interface NewDevice {
  name: string;
  friendlyName?: string;
  template: DeviceTemplate;
  board?: string;
}

/** A refused save: the file changed since it was loaded (ForgeError code `conflict`, these details). */
export interface SaveConflict {
  currentSha256: string | null;
  diff: string | null;
}

export interface WorkspaceApi {
  read(deviceId: string, path?: string): Promise<WorkspaceFile>;
  /** Saves `content` over the version whose hash is `sha256`; a newer version on disk is a `conflict`. */
  save(deviceId: string, content: string, sha256: string, path?: string): Promise<SaveFileResponse>;
  history(deviceId: string, offset: number, limit: number): Promise<HistoryPage>;
  /** `to` absent: against the file as it is now. */
  diff(deviceId: string, from: string, to?: string): Promise<DiffResponse>;
  restore(deviceId: string, commit: string): Promise<RestoreResponse>;
  templates(): Promise<{ templates: TemplateChoice[]; secretKeys: string[] }>;
  create(device: NewDevice): Promise<CreateDeviceResponse>;
}
