// Notices new ESPHome releases: every `releaseCheckHours` it asks pip for the newest release (the same
// question as the fleet default's, config/default-esphome-version.ts) and, when that is newer than
// both the fleet's default version and the newest one already seen, records it as "available" with
// its release notes URL. The first check of an install without a default only sets the baseline (no
// news). Setting the default to that release (or newer) clears it.
//
// FORGE_RELEASE_CHECK=off turns the periodic check off (tests), =on forces it; unset, it runs unless
// the sidecar uses a stand-in build command. POST /esphome/releases/check runs one now either way.
import { compareReleases, esphomeReleaseNotesUrl, type EsphomeRelease, type Settings } from "@esphome-forge/shared";
import type { Db } from "../db/database.js";
import type { Clock } from "../util/clock.js";
import { FleetState } from "./fleet-state.js";

const RELEASE_KEY = "esphome_release";
const SEEN_KEY = "esphome_newest_seen";
/** The first check waits a little after start, so it never slows the start down. */
const FIRST_CHECK_MS = 30_000;

export interface ReleaseWatchOptions {
  db: Db;
  clock: Clock;
  settings: () => Settings;
  /** The newest ESPHome release pip offers (throws when it cannot tell). */
  newest: () => Promise<string>;
  log: (msg: string) => void;
  /** The available release changed (a new one, or cleared). */
  onChange: (release: EsphomeRelease | null, isNew: boolean) => void;
}

export function releaseCheckEnabled(env: NodeJS.ProcessEnv, buildCommand: string | null): boolean {
  const v = (env.FORGE_RELEASE_CHECK ?? "").trim().toLowerCase();
  if (["off", "0", "false", "no"].includes(v)) return false;
  if (["on", "1", "true", "yes"].includes(v)) return true;
  return buildCommand === null;
}

export class ReleaseWatch {
  private readonly state: FleetState;
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<EsphomeRelease | null> | null = null;
  private running = false;

  constructor(private readonly o: ReleaseWatchOptions) {
    this.state = new FleetState(o.db);
  }

  /** The newer release available, or null. */
  current(): EsphomeRelease | null {
    return this.state.get<EsphomeRelease | null>(RELEASE_KEY) ?? null;
  }

  start(): void {
    this.running = true;
    this.schedule(FIRST_CHECK_MS);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Asks pip now; resolves with the available release (or null). Concurrent calls share one check. */
  check(): Promise<EsphomeRelease | null> {
    this.checking ??= this.run().finally(() => (this.checking = null));
    return this.checking;
  }

  /** The fleet default changed: a release it reaches is no longer news. */
  settingsChanged(): void {
    if (this.running && !this.timer) this.schedule(FIRST_CHECK_MS); // the check was turned on
    const current = this.current();
    const fleet = this.o.settings().defaultEsphomeVersion;
    if (current && fleet && (compareReleases(fleet, current.version) ?? -1) >= 0) {
      this.state.set(RELEASE_KEY, null);
      this.o.onChange(null, false);
    }
  }

  private async run(): Promise<EsphomeRelease | null> {
    const newest = await this.o.newest();
    const fleet = this.o.settings().defaultEsphomeVersion;
    const seen = this.state.get<string>(SEEN_KEY) ?? null;
    const baseline = [fleet, seen].filter((v): v is string => v !== null).sort((a, b) => compareReleases(b, a) ?? 0)[0];
    this.state.set(SEEN_KEY, seen && (compareReleases(seen, newest) ?? 0) > 0 ? seen : newest);
    if (baseline === undefined || (compareReleases(newest, baseline) ?? 0) <= 0) return this.current();
    const release: EsphomeRelease = {
      version: newest,
      releaseNotesUrl: esphomeReleaseNotesUrl(newest),
      detectedAt: new Date(this.o.clock.now()).toISOString(),
      fleetVersion: fleet,
    };
    this.state.set(RELEASE_KEY, release);
    this.o.log(
      `ESPHome ${newest} is available (the fleet builds with ${fleet ?? "each worker's own version"}): ${release.releaseNotesUrl}`,
    );
    this.o.onChange(release, true);
    return release;
  }

  private schedule(ms: number): void {
    this.timer = null;
    if (!this.running || this.o.settings().releaseCheckHours === 0) return;
    this.timer = setTimeout(() => {
      this.check()
        .catch((err: unknown) => this.o.log(`ESPHome release check: ${(err as Error).message}`))
        .finally(() => this.schedule(this.o.settings().releaseCheckHours * 3_600_000));
    }, ms);
    this.timer.unref();
  }
}
