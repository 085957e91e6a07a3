// Glue between the inventory, the settings' routing rules and dispatch: what a job needs from a worker.
import type { Job, RoutedDevice, RoutingRule } from "@esphome-forge/shared";
import { requirementFor, type Requirement } from "../dispatch/job-requirements.js";
import type { Inventory } from "../inventory/inventory.js";

export function routingOf(
  inventory: Pick<Inventory, "get">,
  rules: () => readonly RoutingRule[],
): { device: (id: string) => RoutedDevice | undefined; requirement: (job: Job) => Requirement } {
  const device = (id: string): RoutedDevice | undefined => {
    const d = inventory.get(id);
    return d ? { id: d.id, name: d.name, platform: d.platform, tags: d.tags } : undefined;
  };
  return {
    device,
    requirement: (job) => requirementFor(job, device(job.deviceId), rules()),
  };
}
