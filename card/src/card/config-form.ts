// The visual editor's form, as Home Assistant's `ha-form` takes it: a schema of selectors, the
// form data made from a card config, and the card config made back from edited form data.
import { COLUMN_LABELS, OPTIONAL_COLUMNS, type Column } from "../views/columns.js";
import { VIEW_LABELS, VIEW_NAMES, type ViewName } from "../views/view-names.js";
import { CARD_TYPE, resolveConfig, type ForgeCardConfig } from "./config.js";

export const DOMAIN = "esphome_forge";

export interface FormData {
  title: string;
  views: ViewName[];
  columns: Column[];
  tags: string[];
  compact: boolean;
  entry_id?: string;
}

export type FormSchema = readonly Record<string, unknown>[];

const options = <T extends string>(values: readonly T[], labels: Record<T, string>) =>
  values.map((value) => ({ value, label: labels[value] }));

/** `knownTags`: the fleet's tags (offered in the tags picker; other tags can be typed in). */
export function formSchema(knownTags: readonly string[]): FormSchema {
  return [
    { name: "title", selector: { text: {} } },
    {
      name: "views",
      required: true,
      selector: { select: { multiple: true, mode: "list", options: options(VIEW_NAMES, VIEW_LABELS) } },
    },
    {
      name: "columns",
      selector: { select: { multiple: true, mode: "list", options: options(OPTIONAL_COLUMNS, COLUMN_LABELS) } },
    },
    {
      name: "tags",
      selector: {
        select: { multiple: true, custom_value: true, options: knownTags.map((t) => ({ value: t, label: t })) },
      },
    },
    { name: "compact", selector: { boolean: {} } },
    { name: "entry_id", selector: { config_entry: { integration: DOMAIN } } },
  ];
}

export const FORM_LABELS: Record<keyof FormData, string> = {
  title: "Title",
  views: "Views (tabs)",
  columns: "Devices table columns",
  tags: "Only devices with one of these tags",
  compact: "Compact rows",
  entry_id: "Forge sidecar",
};

export const FORM_HELPERS: Partial<Record<keyof FormData, string>> = {
  title: "Shown above the card; leave empty for none.",
  tags: "Leave empty for every device.",
  entry_id: "Only needed when Home Assistant talks to more than one Forge sidecar.",
};

export function formData(config: ForgeCardConfig): FormData {
  const r = resolveConfig({ ...config, views: config.views?.length ? config.views : undefined });
  return {
    title: r.title,
    views: r.views,
    columns: r.columns,
    tags: r.tags,
    compact: r.compact,
    ...(r.entryId ? { entry_id: r.entryId } : {}),
  };
}

/** Keeps the order the config had for values still chosen; new ones follow in their usual order. */
function keepOrder<T extends string>(before: readonly T[], chosen: readonly T[], canonical: readonly T[]): T[] {
  const kept = before.filter((v) => chosen.includes(v));
  return [...kept, ...canonical.filter((v) => chosen.includes(v) && !kept.includes(v))];
}

/**
 * The card config for edited form data: the previous config (its `type` and the keys HA adds,
 * such as `grid_options`) with the form's values; defaults are left out. Null when the form is
 * not a config yet (no view chosen), with the reason.
 */
export function configFromForm(
  previous: ForgeCardConfig,
  data: Partial<FormData>,
): { config: ForgeCardConfig; problem: null } | { config: null; problem: string } {
  const before = formData(previous);
  const views = keepOrder(before.views, data.views ?? [], VIEW_NAMES);
  if (views.length === 0) return { config: null, problem: "Choose at least one view." };
  const next: ForgeCardConfig = { ...previous, type: previous.type || `custom:${CARD_TYPE}`, views };
  const set = <K extends keyof ForgeCardConfig>(key: K, value: ForgeCardConfig[K] | undefined, keep: boolean) => {
    if (keep) next[key] = value as ForgeCardConfig[K];
    else delete next[key];
  };
  const title = (data.title ?? "").trim();
  set("title", title, title !== "");
  set(
    "columns",
    OPTIONAL_COLUMNS.filter((c) => data.columns?.includes(c)),
    true,
  );
  const tags = (data.tags ?? []).map((t) => t.trim()).filter(Boolean);
  set("tags", tags, tags.length > 0);
  set("compact", true, data.compact === true);
  set("entry_id", data.entry_id, !!data.entry_id);
  return { config: next, problem: null };
}
