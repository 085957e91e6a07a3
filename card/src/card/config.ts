// The card's YAML options, checked with messages that say what is wrong and what is allowed.
// Home Assistant shows a thrown message as an error card, so each names the option at fault.
import { OPTIONAL_COLUMNS, type Column } from "../views/columns.js";
import { VIEW_NAMES, type ViewName } from "../views/view-names.js";

export const CARD_TYPE = "esphome-forge-card";

export interface ForgeCardConfig {
  type: string;
  /** Card header; none when empty. */
  title?: string;
  /** Which views to offer, in this order (default: devices, queue, workers, schedules). */
  views?: ViewName[];
  /** Show only devices carrying at least one of these tags (default: all devices). */
  tags?: string[];
  /** Optional devices-table columns to show (default: all). */
  columns?: Column[];
  /** Denser rows. */
  compact?: boolean;
  /** Which Forge integration entry to talk to when there are several (default: the first). */
  entry_id?: string;
}

export interface ResolvedConfig {
  title: string;
  views: ViewName[];
  tags: string[];
  columns: Column[];
  compact: boolean;
  entryId: string | null;
}

const KNOWN_KEYS = ["type", "title", "views", "tags", "columns", "compact", "entry_id"];
/** Keys Home Assistant's dashboards add to any card config. */
const HA_KEYS = ["grid_options", "layout_options", "view_layout", "visibility", "card_mod"];
const TAG_RE = /^[a-z0-9][a-z0-9_.:-]*$/;

const fail = (msg: string): never => {
  throw new Error(`${CARD_TYPE}: ${msg}`);
};
const quote = (v: unknown) => (typeof v === "string" ? `"${v}"` : JSON.stringify(v));

function list(raw: unknown, key: string): unknown[] {
  if (typeof raw === "string")
    return raw
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  if (!Array.isArray(raw)) return fail(`${key}: expected a list, got ${quote(raw)}`);
  return raw;
}

function oneOf<T extends string>(raw: unknown, key: string, allowed: readonly T[]): T[] {
  const out: T[] = [];
  for (const v of list(raw, key)) {
    if (typeof v !== "string" || !allowed.includes(v as T))
      fail(`${key}: unknown value ${quote(v)}; choose from ${allowed.join(", ")}`);
    if (out.includes(v as T)) fail(`${key}: ${quote(v)} is listed twice`);
    out.push(v as T);
  }
  return out;
}

/** Validates a card config; returns it unchanged (apart from string lists split) or throws. */
export function validateConfig(raw: unknown): ForgeCardConfig {
  if (!raw || typeof raw !== "object" || Array.isArray(raw))
    return fail("the configuration must be a mapping of options");
  const c = raw as Record<string, unknown>;
  for (const k of Object.keys(c)) {
    if (!KNOWN_KEYS.includes(k) && !HA_KEYS.includes(k))
      fail(`unknown option ${quote(k)}; the options are ${KNOWN_KEYS.slice(1).join(", ")}`);
  }
  const out: ForgeCardConfig = { ...(c as unknown as ForgeCardConfig) };
  if (typeof c.type !== "string" || !c.type) fail(`type: expected "custom:${CARD_TYPE}"`);
  if (c.title !== undefined && typeof c.title !== "string") fail(`title: expected text, got ${quote(c.title)}`);
  if (c.views !== undefined) {
    out.views = oneOf(c.views, "views", VIEW_NAMES);
    if (out.views.length === 0) fail(`views: list at least one of ${VIEW_NAMES.join(", ")}`);
  }
  if (c.tags !== undefined) {
    out.tags = list(c.tags, "tags").map((t) => {
      if (typeof t !== "string" || !TAG_RE.test(t))
        fail(`tags: ${quote(t)} is not a tag (lowercase letters, digits, '_', '.', ':' and '-')`);
      return t as string;
    });
  }
  if (c.columns !== undefined) out.columns = oneOf(c.columns, "columns", OPTIONAL_COLUMNS);
  if (c.compact !== undefined && typeof c.compact !== "boolean")
    fail(`compact: expected true or false, got ${quote(c.compact)}`);
  if (c.entry_id !== undefined && (typeof c.entry_id !== "string" || !c.entry_id))
    fail(`entry_id: expected a config entry id (text), got ${quote(c.entry_id)}`);
  return out;
}

export function resolveConfig(c: ForgeCardConfig): ResolvedConfig {
  return {
    title: c.title ?? "",
    views: c.views?.length ? [...c.views] : [...VIEW_NAMES],
    tags: c.tags ? [...c.tags] : [],
    // Columns always show in the table's own order, whatever order the config lists them in.
    columns: c.columns ? OPTIONAL_COLUMNS.filter((col) => c.columns!.includes(col)) : [...OPTIONAL_COLUMNS],
    compact: c.compact ?? false,
    entryId: c.entry_id ?? null,
  };
}

/** What the card picker inserts (HA adds `type`). */
export function stubConfig(): Omit<ForgeCardConfig, "type"> {
  return { title: "ESPHome builds", views: [...VIEW_NAMES], tags: [], columns: [...OPTIONAL_COLUMNS], compact: false };
}
