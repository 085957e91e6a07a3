// The views a host can show (the card config's `views`).
export type ViewName = "devices" | "queue" | "workers" | "schedules";
export const VIEW_NAMES: readonly ViewName[] = ["devices", "queue", "workers", "schedules"];
export const VIEW_LABELS: Record<ViewName, string> = {
  devices: "Devices",
  queue: "Queue",
  workers: "Workers",
  schedules: "Schedules",
};
