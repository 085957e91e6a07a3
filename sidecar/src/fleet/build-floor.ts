// The free-space floor for new builds: below `buildMinFreeDiskMb` on the data folder's file system a
// new compile is refused up front with the reason, instead of failing half-way when its firmware or
// log cannot be stored. Far above the disk-full reserve (durability/disk-state.ts), which is the last
// line: there every write waits. Uploads and validation store next to nothing and are let through.
import { compiles, type JobAction } from "@esphome-forge/shared";
import { formatMiB } from "../durability/disk-errors.js";
import { DiskLowError } from "../util/errors.js";

const MIB = 1024 * 1024;

export interface BuildFloorOptions {
  /** Free bytes on the data folder's file system now; null when the platform cannot tell. */
  freeBytes: () => number | null;
  floorMb: () => number;
}

export class BuildFloor {
  constructor(private readonly o: BuildFloorOptions) {}

  /** Why a new job with this action is refused now, or null. */
  refusal(action: JobAction): string | null {
    const floor = this.o.floorMb() * MIB;
    if (floor === 0 || !compiles(action)) return null;
    const free = this.o.freeBytes();
    if (free === null || free >= floor) return null;
    return (
      `new builds are refused: the sidecar's data folder has ${formatMiB(free)} free, below the floor of ` +
      `${formatMiB(floor)} for new builds (setting buildMinFreeDiskMb); free space or lower the floor`
    );
  }

  /** Throws DiskLowError (HTTP 507 `disk_low`) when `refusal` names a reason. */
  check(action: JobAction): void {
    const why = this.refusal(action);
    if (why) throw new DiskLowError(why);
  }
}
