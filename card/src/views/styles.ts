// Shared look: Home Assistant's theme variables (with light fallbacks for the standalone page,
// which defines them itself), buttons, chips and tones.
import { css } from "lit";

export const baseStyles = css`
  :host {
    color: var(--primary-text-color, #212121);
    font-family: var(--ha-font-family-body, var(--mdc-typography-font-family, Roboto, "Noto Sans", system-ui, sans-serif));
    font-size: var(--ha-font-size-m, 14px);
    line-height: 1.4;
    --forge-ok: var(--success-color, #2e7d32);
    --forge-warn: var(--warning-color, #b26a00);
    --forge-bad: var(--error-color, #c62828);
    --forge-info: var(--info-color, #0277bd);
    --forge-muted: var(--secondary-text-color, #5f6368);
    --forge-divider: var(--divider-color, rgba(0, 0, 0, 0.12));
    --forge-accent: var(--primary-color, #03a9f4);
    --forge-surface: var(--card-background-color, var(--ha-card-background, #fff));
    --forge-surface-2: var(--secondary-background-color, #f5f5f5);
  }
  [hidden] {
    display: none !important;
  }
  .muted {
    color: var(--forge-muted);
  }
  .mono {
    font-family: var(--code-font-family, ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace);
    font-size: 0.92em;
  }
  button.btn {
    font: inherit;
    font-size: 0.86em;
    font-weight: 500;
    color: var(--forge-accent);
    background: transparent;
    border: 1px solid color-mix(in srgb, var(--forge-accent) 45%, transparent);
    border-radius: 6px;
    padding: 3px 9px;
    min-height: 28px;
    cursor: pointer;
    white-space: nowrap;
  }
  button.btn:hover:not(:disabled) {
    background: color-mix(in srgb, var(--forge-accent) 12%, transparent);
  }
  button.btn:disabled {
    color: var(--disabled-text-color, #9e9e9e);
    border-color: var(--forge-divider);
    cursor: default;
  }
  button.btn.primary {
    background: var(--forge-accent);
    color: var(--text-primary-color, #fff);
    border-color: var(--forge-accent);
  }
  button.btn.danger {
    color: var(--forge-bad);
    border-color: color-mix(in srgb, var(--forge-bad) 45%, transparent);
  }
  button:focus-visible,
  input:focus-visible,
  select:focus-visible,
  [tabindex]:focus-visible {
    outline: 2px solid var(--forge-accent);
    outline-offset: 2px;
  }
  .chip {
    display: inline-flex;
    align-items: center;
    gap: 4px;
    border-radius: 999px;
    padding: 0 8px;
    font-size: 0.8em;
    font-weight: 500;
    line-height: 1.7;
    white-space: nowrap;
    color: var(--tone, var(--forge-muted));
    background: color-mix(in srgb, var(--tone, var(--forge-muted)) 14%, transparent);
  }
  .tone-ok {
    --tone: var(--forge-ok);
  }
  .tone-warn {
    --tone: var(--forge-warn);
  }
  .tone-bad {
    --tone: var(--forge-bad);
  }
  .tone-info {
    --tone: var(--forge-info);
  }
  .tone-neutral {
    --tone: var(--forge-muted);
  }
  .error-text {
    color: var(--forge-bad);
  }
  input[type="search"],
  input[type="text"],
  input[type="password"],
  select {
    font: inherit;
    color: inherit;
    background: var(--forge-surface);
    border: 1px solid var(--forge-divider);
    border-radius: 6px;
    padding: 5px 8px;
    min-height: 32px;
    box-sizing: border-box;
  }
  .progress {
    height: 4px;
    border-radius: 2px;
    background: color-mix(in srgb, var(--forge-accent) 18%, transparent);
    overflow: hidden;
  }
  .progress > div {
    height: 100%;
    background: var(--forge-accent);
    transition: width 0.3s ease;
  }
  .progress.indeterminate > div {
    width: 30%;
    animation: slide 1.4s ease-in-out infinite;
  }
  @keyframes slide {
    from {
      transform: translateX(-100%);
    }
    to {
      transform: translateX(340%);
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .progress.indeterminate > div {
      animation: none;
      width: 100%;
      opacity: 0.5;
    }
  }
`;

/** Tone of a job state for chips. */
export function jobTone(state: string | null | undefined): string {
  switch (state) {
    case "succeeded":
      return "tone-ok";
    case "failed":
    case "timed_out":
      return "tone-bad";
    case "cancelled":
      return "tone-warn";
    case "running":
    case "queued":
    case "blocked":
    case "waiting_for_device":
      return "tone-info";
    default:
      return "tone-neutral";
  }
}

export const ACTION_LABELS: Record<string, string> = {
  validate: "validate",
  compile: "compile",
  compile_upload: "compile & upload",
  upload: "upload",
};
