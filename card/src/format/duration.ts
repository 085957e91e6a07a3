// Human durations for build times: "850 ms", "42 s", "3 min 05 s", "1 h 02 min".

export function formatDuration(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const totalSec = Math.floor(ms / 1000);
  if (totalSec < 60) return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${totalSec} s`;
  const h = Math.floor(totalSec / 3600);
  const m = Math.floor((totalSec % 3600) / 60);
  const s = totalSec % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, "0")} min`;
  return `${m} min ${String(s).padStart(2, "0")} s`;
}

/** Time since an ISO timestamp, as a duration ("1 min 12 s"); "—" without a start. */
export function formatElapsed(startIso: string | null | undefined, now: number = Date.now()): string {
  if (!startIso) return "—";
  const start = Date.parse(startIso);
  if (Number.isNaN(start)) return "—";
  // Whole seconds: a live clock that shows milliseconds only flickers.
  const whole = Math.floor(Math.max(0, now - start) / 1000) * 1000;
  return whole < 60_000 ? `${whole / 1000} s` : formatDuration(whole);
}
