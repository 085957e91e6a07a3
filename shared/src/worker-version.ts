// The worker version gate: the oldest worker release this sidecar still supports. Older workers are
// refused at hello with the reason and the minimum (close code `outdated`), and listed as outdated.
// Raise it when the sidecar starts relying on something older workers lack, even without a
// protocol change (the protocol version covers incompatible wire changes on its own).

export const MIN_WORKER_VERSION = "0.1.0";

/** Numeric release parts (`1.2.3`, `1.2.3-beta.1` → [1, 2, 3]); null when the text is not a release number. */
export function releaseParts(version: string): number[] | null {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null;
}

/** <0, 0 or >0 as `a` is older than, the same as or newer than `b`; null when either is not a release number. */
export function compareReleases(a: string, b: string): number | null {
  const pa = releaseParts(a);
  const pb = releaseParts(b);
  if (!pa || !pb) return null;
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}

/**
 * Why a worker of this version is refused, or null. A version that is not a release number (a
 * development build) cannot be compared and is let in: the gate stops forgotten old installs, not
 * a worker that lies about its version (its token and signing key are what authenticate it).
 */
export function workerVersionProblem(version: string, minimum = MIN_WORKER_VERSION): string | null {
  const cmp = compareReleases(version, minimum);
  if (cmp === null || cmp >= 0) return null;
  return `worker version ${version} is older than ${minimum}, the oldest this sidecar supports; upgrade the worker (esphome-forge ${minimum} or later)`;
}
