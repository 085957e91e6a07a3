// The views a host can show (the card config's `views`).
export type ViewName = "devices" | "queue" | "workers" | "schedules" | "routing";
/** `routing` shows only to administrators (the backend offers it to them alone). */
export const VIEW_NAMES: readonly ViewName[] = ["devices", "queue", "workers", "schedules", "routing"];
export const VIEW_LABELS: Record<ViewName, string> = {
  devices: "Devices",
  queue: "Queue",
  workers: "Workers",
  schedules: "Schedules",
  routing: "Routing",
};
