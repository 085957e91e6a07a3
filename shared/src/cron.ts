// Five-field cron expressions (minute hour day-of-month month day-of-week) and the next run after an
// instant in an IANA time zone. Written here rather than taken from a package because the daylight
// saving rules are the part users notice, and they are decided explicitly (and tested) below:
//
// - A wall time that does not exist (clocks spring forward over it): an expression with a fixed hour
//   ("30 2 * * *") runs once at the moment the clocks jump; an hourly-style one ("*/15 * * * *") simply
//   has no run there — its next slot after the jump comes as usual.
// - A wall time that happens twice (clocks fall back): a fixed hour runs once, at the first of the two;
//   an hourly-style expression runs at both, since each is a real, distinct hour.
//
// Semantics otherwise follow Vixie cron: names (JAN–DEC, SUN–SAT), 0 or 7 for Sunday, lists, ranges,
// steps, the @yearly/@monthly/@weekly/@daily/@hourly macros; when both day fields are restricted a day
// matches if either does. Only the standard library (Intl) is used, so the card can run it too.

export class CronError extends Error {
  override readonly name = "CronError";
}

export interface CronSpec {
  readonly source: string;
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** 0 = Sunday … 6 = Saturday. */
  readonly weekdays: ReadonlySet<number>;
  /** The field starts with `*`: it does not restrict (Vixie's rule for combining the day fields). */
  readonly dayStar: boolean;
  readonly weekdayStar: boolean;
  /** The hour field starts with `*`: an hourly-style expression (see the daylight saving rules above). */
  readonly hourStar: boolean;
}

const MACROS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface FieldDef {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** The value names[0] stands for. */
  nameBase?: number;
}
const FIELDS: readonly FieldDef[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { name: "day of week", min: 0, max: 7, names: DAYS, nameBase: 0 },
];

export function parseCron(expression: string): CronSpec {
  const source = expression.trim();
  const text = MACROS[source.toLowerCase()] ?? source;
  if (text.startsWith("@"))
    throw new CronError(`unknown macro ${source} (use @yearly, @monthly, @weekly, @daily or @hourly)`);
  const parts = text.split(/\s+/);
  if (parts.length !== 5)
    throw new CronError(
      `expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}: "${source}"`,
    );
  const [minutes, hours, days, months, weekdays] = parts.map((p, i) => parseField(p, FIELDS[i]!));
  return {
    source,
    minutes: [...minutes!].sort((a, b) => a - b),
    hours: [...hours!].sort((a, b) => a - b),
    days: days!,
    months: months!,
    // 7 is Sunday too.
    weekdays: new Set([...weekdays!].map((d) => d % 7)),
    dayStar: parts[2]!.startsWith("*"),
    weekdayStar: parts[4]!.startsWith("*"),
    hourStar: parts[1]!.startsWith("*"),
  };
}

function parseField(text: string, f: FieldDef): Set<number> {
  const out = new Set<number>();
  for (const item of text.split(",")) {
    const m = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(item);
    if (!m) throw new CronError(`${f.name}: cannot read "${item}"`);
    const step = m[2] === undefined ? 1 : Number(m[2]);
    if (step < 1 || step > f.max) throw new CronError(`${f.name}: step ${m[2]} is out of range`);
    let lo: number;
    let hi: number;
    if (m[1] === "*") [lo, hi] = [f.min, f.max === 7 ? 6 : f.max];
    else {
      const [a, b] = m[1]!.split("-");
      lo = value(a!, f);
      // "5/15" means 5, 20, 35, 50: from the value to the end of the range.
      hi = b !== undefined ? value(b, f) : m[2] !== undefined ? f.max : lo;
      if (hi < lo) throw new CronError(`${f.name}: range ${m[1]} runs backwards`);
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

function value(token: string, f: FieldDef): number {
  let v: number;
  if (/^\d+$/.test(token)) v = Number(token);
  else {
    const i = f.names?.indexOf(token.toUpperCase()) ?? -1;
    if (i < 0) throw new CronError(`${f.name}: "${token}" is not a number${f.names ? " or a name" : ""}`);
    v = i + (f.nameBase ?? 0);
  }
  if (v < f.min || v > f.max) throw new CronError(`${f.name}: ${token} is outside ${f.min}–${f.max}`);
  return v;
}

// ---- time zones ---------------------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True for a time zone this runtime knows (IANA names such as `Europe/Berlin`, and `UTC`). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock time of `ms` in the zone, as milliseconds of the same wall time read as UTC. */
export function wallTime(ms: number, timeZone: string): number {
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(ms))
    if (part.type !== "literal") p[part.type] = Number(part.value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Instants whose wall time in the zone is `wall` (minute precision): none in a gap, two in an overlap. */
function instantsOf(wall: number, timeZone: string): number[] {
  const offsets = new Set([wall - DAY, wall + DAY].map((t) => wallTime(t, timeZone) - Math.floor(t / 1000) * 1000));
  const found = [...offsets].map((o) => wall - o).filter((t) => wallTime(t, timeZone) === wall);
  return [...new Set(found)].sort((a, b) => a - b);
}

/** In a gap: the first minute after the jump (the smallest instant whose wall time is past `wall`). */
function jumpAfter(wall: number, timeZone: string): number {
  // Every instant in (lo, hi] is a candidate: lo's wall time is before the gap, hi's after it.
  let lo = Math.floor((wall - 14 * HOUR) / MINUTE);
  let hi = Math.ceil((wall + 14 * HOUR) / MINUTE);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (wallTime(mid * MINUTE, timeZone) > wall) hi = mid;
    else lo = mid;
  }
  return hi * MINUTE;
}

/** How far ahead next-run searches look before giving up (an expression such as Feb 30 never runs). */
const SEARCH_DAYS = 366 * 8;

/**
 * The first run strictly after `afterMs` (ms since the epoch) in `timeZone`, or null when the
 * expression matches no date within eight years.
 */
export function nextCronRun(spec: CronSpec, afterMs: number, timeZone: string): number | null {
  const afterWall = wallTime(afterMs, timeZone);
  const startDay = Math.floor(afterWall / DAY) * DAY;
  for (let i = 0; i <= SEARCH_DAYS; i++) {
    const day = startDay + i * DAY;
    if (!dayMatches(spec, new Date(day))) continue;
    for (const h of spec.hours) {
      for (const m of spec.minutes) {
        const wall = day + h * HOUR + m * MINUTE;
        // Far enough before `afterMs` that no offset change can bring it after: skip the work.
        if (wall < afterWall - 3 * HOUR) continue;
        for (const t of runsAt(spec, wall, timeZone)) if (t > afterMs) return t;
      }
    }
  }
  return null;
}

/** The instants a matching wall time runs at (see the daylight saving rules at the top). */
function runsAt(spec: CronSpec, wall: number, timeZone: string): number[] {
  const at = instantsOf(wall, timeZone);
  if (at.length === 0) return spec.hourStar ? [] : [jumpAfter(wall, timeZone)];
  return spec.hourStar ? at : [at[0]!];
}

function dayMatches(spec: CronSpec, d: Date): boolean {
  if (!spec.months.has(d.getUTCMonth() + 1)) return false;
  const dom = spec.days.has(d.getUTCDate());
  const dow = spec.weekdays.has(d.getUTCDay());
  // A `*` field holds every value, so "both must match" leaves the other field's restriction.
  return spec.dayStar || spec.weekdayStar ? dom && dow : dom || dow;
}

/** A cron expression that parses and runs at least once within eight years; else the reason. */
export function cronProblem(expression: string): string | null {
  try {
    const spec = parseCron(expression);
    return nextCronRun(spec, Date.UTC(2026, 0, 1), "UTC") === null ? "the expression matches no date" : null;
  } catch (err) {
    return (err as Error).message;
  }
}
