// What the dashboard says while its data is not live, and whether actions are paused meanwhile.
// Stale data stays on screen (it is still the best knowledge there is), clearly labelled, with
// every action that would need the sidecar disabled and the reason on each button.
import type { ForgeState } from "../data/types.js";
import { formatClock, formatRelative } from "../format/relative-time.js";

export interface ConnectionNotice {
  tone: "tone-info" | "tone-warn" | "tone-bad";
  /** The headline, e.g. "Forge sidecar unreachable since 14:02 (5 min ago)". */
  title: string;
  /** What it means for the user. */
  detail: string;
  /** The backend's own words, shown on request. */
  cause: string | null;
  /** Why actions are disabled (null: they are not). */
  paused: string | null;
}

const sinceText = (since: string | null, now: number) =>
  since ? ` since ${formatClock(since, now)} (${formatRelative(since, now)})` : "";

export function connectionNotice(
  state: Pick<ForgeState, "status" | "error" | "since" | "loaded">,
  kind: "ha" | "direct",
  now: number = Date.now(),
): ConnectionNotice | null {
  const since = sinceText(state.since, now);
  const stale = state.loaded ? "Showing the last known state; " : "";
  // Connecting again after a loss: the loss is still what matters.
  const status = state.status === "connecting" && state.since ? "reconnecting" : state.status;
  switch (status) {
    case "live":
      return null;
    case "connecting":
      return { tone: "tone-info", title: "Connecting…", detail: "", cause: null, paused: null };
    case "reconnecting":
      return {
        tone: "tone-warn",
        title: kind === "ha" ? `Connection to Home Assistant lost${since}` : `Forge sidecar unreachable${since}`,
        detail: `${stale}reconnecting… Actions are paused until the connection is back.`,
        cause: state.error,
        paused: kind === "ha" ? "Paused: no connection to Home Assistant" : "Paused: the sidecar is unreachable",
      };
    case "unreachable":
      return {
        tone: "tone-bad",
        title: `Forge sidecar unreachable${since}`,
        detail: `${stale}Home Assistant keeps trying to reconnect. Actions are paused until the sidecar is back.`,
        cause: state.error,
        paused: "Paused: Home Assistant cannot reach the Forge sidecar",
      };
    case "unauthorized":
      return {
        tone: "tone-bad",
        title: "Not authorised",
        detail: "The sidecar refused the token.",
        cause: state.error,
        paused: "Not authorised",
      };
    case "error":
      return {
        tone: "tone-bad",
        title: "Cannot load Forge data",
        detail: state.error ?? "",
        cause: null,
        paused: "Paused: Forge data is not available",
      };
  }
}
