// A device as the inventory knows it from its config alone; the fleet adds what builds and trust say.
import type { Device } from "@esphome-forge/shared";

export type InventoryDevice = Omit<
  Device,
  | "outdated"
  | "lastBuild"
  | "trust"
  | "targetVersion"
  | "lastFlash"
  | "storedFirmware"
  | "online"
  | "lastSeen"
  | "presence"
  | "running"
>;
