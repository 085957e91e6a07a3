// Styles of the devices-table rows. Rows render into the devices view's shadow root (no shadow
// root of their own: 500 rows would mean 500 style scopes), so every rule is scoped by `.row`.
// A row is a grid lined up with the header; on narrow widths it stacks into two columns.
import { css } from "lit";

export const rowStyles = css`
  forge-device-row {
    display: grid;
    grid-template-columns: var(--forge-grid, 28px 1fr auto);
    align-items: center;
    column-gap: 10px;
    padding: var(--forge-row-pad, 8px 12px);
    border-top: 1px solid var(--forge-divider);
    /* Off-screen rows skip style, layout and paint. */
    content-visibility: auto;
    contain-intrinsic-size: auto 64px;
  }
  forge-device-row[selected] {
    background: color-mix(in srgb, var(--forge-accent) 8%, transparent);
  }
  .row [role="cell"] {
    min-width: 0;
  }
  .row .name b {
    display: block;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .row .sub {
    font-size: 0.85em;
    color: var(--forge-muted);
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .row .sub.staged,
  .row .armed .sub {
    white-space: normal;
  }
  .row .sub.error-text {
    white-space: normal;
    display: -webkit-box;
    -webkit-line-clamp: 2;
    -webkit-box-orient: vertical;
  }
  .row .tags .chip {
    margin-right: 3px;
  }
  /* HA's checkbox, sized to the selection column (its touch target stays 32 px). */
  forge-device-row ha-checkbox {
    --mdc-checkbox-ripple-size: 32px;
    --mdc-checkbox-touch-target-size: 32px;
  }
  .row .online.unknown {
    color: var(--forge-muted);
    font-size: 0.85em;
    white-space: normal;
  }
  .row .online:not(.unknown)::before {
    content: "";
    display: inline-block;
    width: 8px;
    height: 8px;
    border-radius: 50%;
    margin-right: 6px;
    background: var(--tone);
  }
  .row .outdated {
    color: var(--forge-warn);
    font-weight: 600;
    white-space: normal;
  }
  .row .status .progress {
    margin-top: 4px;
  }
  .row .trust button.chip {
    border: 0;
    cursor: pointer;
    font-family: inherit;
  }
  .row .trust .policy {
    margin-left: 4px;
    text-transform: uppercase;
    font-size: 0.7em;
    letter-spacing: 0.03em;
  }
  .row .trust .dot {
    width: 7px;
    height: 7px;
    border-radius: 50%;
    background: var(--tone);
  }
  .row .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 4px;
    justify-content: flex-end;
  }
  .row .why {
    grid-column: 2 / -1;
    margin-top: 6px;
    font-size: 0.85em;
    color: var(--forge-muted);
  }
  .row .why p {
    margin: 0 0 2px;
  }
  .row .alert {
    grid-column: 1 / -1;
    margin-top: 6px;
    padding: 6px 10px;
    border-radius: 6px;
    color: var(--forge-bad);
    background: color-mix(in srgb, var(--forge-bad) 10%, transparent);
    display: flex;
    justify-content: space-between;
    gap: 8px;
    font-size: 0.9em;
  }
  .row .alert button {
    border: 0;
    background: none;
    color: inherit;
    cursor: pointer;
    font: inherit;
  }
  @container forge-devices (max-width: 1100px) {
    forge-device-row {
      grid-template-columns: var(--forge-grid-medium, 28px 1fr auto);
      row-gap: 6px;
    }
    .row .actions {
      grid-column: 2 / -1;
      justify-content: flex-start;
    }
  }
  @container forge-devices (max-width: 700px) {
    forge-device-row {
      grid-template-columns: var(--forge-select-w, 32px) 1fr 1fr;
      row-gap: 6px;
    }
    .row .name {
      grid-column: 2 / 3;
    }
    .row .online {
      grid-column: 3;
      grid-row: 1;
      justify-self: end;
    }
    .row .version,
    .row .trust {
      grid-column: 2;
    }
    .row .status,
    .row .last {
      grid-column: 3;
    }
    .row .actions {
      grid-column: 2 / -1;
      justify-content: flex-start;
    }
  }
`;
