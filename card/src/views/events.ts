// Events the views raise; the dashboard turns them into data-source calls.

export type JobCommand = "compile" | "compile_upload" | "upload";

export type RowActionDetail =
  /** `whenOnline`: arm the flashes (each waits until its device is online; the build runs now). */
  | { action: JobCommand; deviceIds: string[]; whenOnline?: boolean }
  | { action: "cancel"; jobId: number; deviceId?: string }
  | { action: "log"; jobId: number }
  | { action: "edit"; deviceId: string }
  | { action: "dismiss-error"; deviceId: string };

export const ROW_ACTION = "forge-action";

export function emitAction(from: HTMLElement, detail: RowActionDetail): void {
  from.dispatchEvent(new CustomEvent<RowActionDetail>(ROW_ACTION, { detail, bubbles: true, composed: true }));
}

declare global {
  interface HTMLElementEventMap {
    "forge-action": CustomEvent<RowActionDetail>;
  }
}
