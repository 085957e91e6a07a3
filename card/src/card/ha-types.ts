// The slice of Home Assistant's frontend `hass` object the card reads.
import type { HaConnectionLike } from "../data/ha-source.js";

export interface HassEntityLike {
  entity_id: string;
  state: string;
  attributes: Record<string, unknown>;
}

export interface HassDeviceLike {
  id: string;
  name?: string | null;
  name_by_user?: string | null;
  connections?: Array<[string, string]>;
  sw_version?: string | null;
}

export interface HassEntityRegistryLike {
  entity_id: string;
  device_id?: string | null;
  platform?: string;
}

export interface HomeAssistantLike {
  connection: HaConnectionLike;
  states: Record<string, HassEntityLike>;
  /** Device and entity registries (display entries), present since HA 2023.x. */
  devices?: Record<string, HassDeviceLike>;
  entities?: Record<string, HassEntityRegistryLike>;
  themes?: { darkMode?: boolean };
  user?: { is_admin?: boolean; name?: string };
  language?: string;
}
