// The devices view's own styles: toolbar, bulk bar, header and how the table narrows (the rows'
// styles are in row-styles.ts).
import { css } from "lit";

export const devicesStyles = css`
  :host {
    display: block;
  }
  [role="table"] {
    container: forge-devices / inline-size;
  }
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
    align-items: center;
    padding: 8px 12px;
  }
  .toolbar .search {
    flex: 1 1 160px;
    min-width: 120px;
  }
  .toolbar ha-select {
    --ha-select-min-width: 150px;
  }
  .tags {
    display: flex;
    flex-wrap: wrap;
    gap: 4px;
  }
  .tags button.chip {
    border: 1px solid transparent;
    cursor: pointer;
    font-family: inherit;
  }
  .tags button.chip[aria-pressed="true"] {
    --tone: var(--forge-accent);
    border-color: var(--forge-accent);
  }
  .head {
    display: grid;
    grid-template-columns: var(--forge-grid);
    column-gap: 10px;
    align-items: center;
    padding: 6px 12px;
    font-size: 0.8em;
    font-weight: 600;
    text-transform: uppercase;
    letter-spacing: 0.03em;
    color: var(--forge-muted);
  }
  .head button {
    all: unset;
    cursor: pointer;
  }
  .head ha-checkbox {
    --mdc-checkbox-ripple-size: 32px;
    --mdc-checkbox-touch-target-size: 32px;
  }
  .head button:focus-visible {
    outline: 2px solid var(--forge-accent);
  }
  .bulk {
    display: flex;
    flex-wrap: wrap;
    gap: 6px;
    align-items: center;
    padding: 8px 12px;
    background: color-mix(in srgb, var(--forge-accent) 10%, transparent);
  }
  .empty {
    padding: 24px 12px;
    text-align: center;
    color: var(--forge-muted);
  }
  @container forge-devices (max-width: 1100px) {
    .head {
      grid-template-columns: var(--forge-grid-medium);
    }
    .head .actions-head {
      display: none;
    }
  }
  @container forge-devices (max-width: 700px) {
    .head .opt {
      display: none;
    }
    .head {
      grid-template-columns: var(--forge-select-w, 32px) 1fr auto;
    }
  }
`;
