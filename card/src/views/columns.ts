// The devices table's columns: the fixed ones (select, name, actions) and those a card config
// may switch on or off. Header and rows share one grid template so they line up.

export const OPTIONAL_COLUMNS = ["online", "version", "status", "trust", "last_build"] as const;
export type Column = (typeof OPTIONAL_COLUMNS)[number];

export const COLUMN_LABELS: Record<Column, string> = {
  online: "Online",
  version: "Firmware",
  status: "Build status",
  trust: "Trust",
  last_build: "Last build",
};

const WIDTHS: Record<Column, string> = {
  online: "minmax(56px, 0.5fr)",
  version: "minmax(100px, 1fr)",
  status: "minmax(120px, 1.3fr)",
  trust: "minmax(80px, 0.7fr)",
  last_build: "minmax(84px, 0.8fr)",
};

/**
 * Grid columns shared by the header and every row (the table changes shape at container widths
 * 1100 px and 700 px: see row-styles.ts). `wide`: with the actions column (fixed width, room for
 * five buttons, or for the log button alone when the user may not act, so every row's grid is
 * identical); otherwise actions go on a second line. `select`: the selection checkbox column.
 */
export function gridTemplate(
  columns: readonly Column[],
  { wide = true, select = true }: { wide?: boolean; select?: boolean } = {},
): string {
  return [
    select ? "32px" : "0px",
    "minmax(130px, 1.6fr)",
    ...columns.map((c) => WIDTHS[c]),
    ...(wide ? [select ? "312px" : "64px"] : []),
  ].join(" ");
}
