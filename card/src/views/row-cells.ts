// The cells of a devices-table row as pure templates of the row's data (no element state).
import { html, nothing } from "lit";
import type { Device, Job } from "@esphome-forge/shared";
import type { DevicePresence, PresenceGap } from "../data/types.js";
import { formatDuration } from "../format/duration.js";
import { formatRelative, formatTimestamp } from "../format/relative-time.js";
import {
  changedOutsideForge,
  displayName,
  isOutdated,
  onlineState,
  runningVersion,
  wouldBuildVersion,
} from "./device-model.js";
import {
  armedText,
  armedTitle,
  isAsleep,
  isWaiting,
  stagedFirmware,
  stagedRefusal,
  stagedText,
} from "./device-lifecycle.js";
import { ACTION_LABELS, jobTone } from "./styles.js";
import { blockedText } from "./trust.js";
import "./elapsed-time.js";

const stateLabel = (s: string) => s.replace(/_/g, " ");

/** The online cell's words when the state is unknown: short in the cell, the why in its title. */
const UNKNOWN_ONLINE: Record<PresenceGap | "no_ha", [string, string]> = {
  no_ha: [
    "not seen yet",
    "Forge has not heard this device on the network (mDNS) and Home Assistant has not reported it.",
  ],
  no_esphome: [
    "no ESPHome in HA",
    "Home Assistant has no ESPHome integration, so it cannot tell whether this device is online. Add the device to the ESPHome integration to see it here.",
  ],
  no_device: [
    "not in HA",
    "Home Assistant's ESPHome integration has no device matching this one (by MAC address or name), so its online state is unknown.",
  ],
  no_entities: [
    "unknown",
    "The matching ESPHome device in Home Assistant has no entities whose availability would tell whether it is online.",
  ],
};

/** Online state from the sidecar (mDNS or HA's feed), else from HA's own ESPHome entities; unknown says why. */
export function onlineCell(d: Device, presence: DevicePresence | undefined) {
  const online = onlineState(d, presence);
  if (online === null) {
    const [label, why] = UNKNOWN_ONLINE[presence?.gap ?? "no_ha"];
    return html`<div role="cell" class="online unknown" title=${why}>${label}</div>`;
  }
  // A deep-sleep device that is not heard from is asleep (a flash for it waits until it wakes).
  const [tone, label] = online
    ? ["tone-ok", "online"]
    : isAsleep(d, presence)
      ? ["tone-neutral", "asleep"]
      : ["tone-bad", "offline"];
  const seen = d.lastSeen ? `last seen ${formatRelative(d.lastSeen)} (${formatTimestamp(d.lastSeen)})` : null;
  const via = d.presence ? ` · via ${d.presence.source === "mdns" ? "mDNS" : "Home Assistant"}` : "";
  const title = `${label}${seen ? ` · ${seen}` : ""}${via}`;
  return html`<div role="cell" class="online ${tone}" title=${title}>${label}${
    online === false && d.lastSeen ? html`<div class="sub">${formatRelative(d.lastSeen)}</div>` : nothing
  }</div>`;
}

export function versionCell(d: Device, presence: DevicePresence | undefined) {
  const running = runningVersion(d, presence);
  const want = wouldBuildVersion(d);
  const outdated = isOutdated(d, presence);
  const runningSha = d.trust.running.firmwareSha256;
  const changed = changedOutsideForge(d);
  const title = d.running
    ? `reported by ${d.running.source === "mdns" ? "the device (mDNS)" : "Home Assistant"}: ${d.running.note}`
    : (presence?.swVersion ??
      (running ? "flashed by Forge" : runningSha ? `running firmware ${runningSha}` : "running version unknown"));
  return html`<div role="cell" class="version">
    <div title=${title}>${running ?? (runningSha ? html`<span class="mono">${runningSha.slice(0, 8)}</span>` : html`<span class="muted">unknown</span>`)}${
      changed
        ? html` <span class="chip tone-warn" role="note" title=${d.running?.note ?? ""}>changed outside Forge</span>`
        : nothing
    }</div>
    <div class="sub ${outdated ? "outdated" : ""}" title=${outdated ? "Forge would build other firmware than the device runs" : "Forge would build this version"}>
      → ${want ?? "default"}${outdated ? html` · outdated` : nothing}
    </div>
    ${stagedLine(d)}
  </div>`;
}

/** The staged build (built, not flashed yet), marked current when Install flashes it as it is. */
function stagedLine(d: Device) {
  const s = stagedFirmware(d);
  if (!s) return nothing;
  const refused = stagedRefusal(d);
  const [mark, tone, title] = refused
    ? [refused, "tone-bad", `Content trust refuses this image (${refused}): Install compiles afresh`]
    : s.current
      ? [
          "current",
          "tone-ok",
          "Built from the config and ESPHome version Forge would build now: Install staged flashes it without recompiling",
        ]
      : ["not current", "muted", "Built from an older config or ESPHome version: Install compiles afresh"];
  return html`<div class="sub staged" title=${`${title} (firmware ${s.firmwareSha256.slice(0, 12)})`}>
    ${stagedText(s)} · <span class=${tone}>${mark}</span>
  </div>`;
}

export function statusCell(d: Device, active: Job | null, last: Job | null) {
  if (active && isWaiting(active)) {
    return html`<div role="cell" class="status armed" title=${armedTitle(active)}>
      <span class="chip tone-info">armed</span>
      <div class="sub">${armedText(active, Date.now(), !!d.deepSleep).replace(/^Armed · /, "")}</div>
    </div>`;
  }
  if (active) {
    const running = active.state === "running";
    const pct = active.progress;
    const label = running
      ? `${active.phase ?? ACTION_LABELS[active.action]}${pct != null ? ` ${Math.round(pct)}%` : ""}`
      : active.state === "blocked"
        ? "blocked"
        : "queued";
    return html`<div role="cell" class="status">
      <span class="chip tone-info">${label}</span>
      <forge-elapsed class="sub" .since=${running ? active.startedAt : active.createdAt}></forge-elapsed>
      ${
        running
          ? html`<div class="progress ${pct == null ? "indeterminate" : ""}" role="progressbar" aria-label=${`Build progress of ${displayName(d)}`}
            aria-valuemin="0" aria-valuemax="100" aria-valuenow=${pct == null ? nothing : Math.round(pct)}><div style=${pct == null ? "" : `width:${Math.round(pct)}%`}></div></div>`
          : nothing
      }
    </div>`;
  }
  const state = last?.state ?? d.lastBuild?.state ?? null;
  if (!state) return html`<div role="cell" class="status muted">never built</div>`;
  const err = last && (last.state === "failed" || last.state === "timed_out") ? last.error : null;
  const blocked = blockedText(last?.trust);
  return html`<div role="cell" class="status">
    <span class="chip ${jobTone(state)}">${stateLabel(state)}</span>
    ${blocked ? html`<div class="sub error-text" title=${err ?? blocked}>${blocked}</div>` : err ? html`<div class="sub error-text" title=${err}>${last?.phase ? `${last.phase}: ` : ""}${err}</div>` : nothing}
  </div>`;
}

export function lastBuildCell(d: Device, last: Job | null) {
  const lb = d.lastBuild;
  if (!lb) return html`<div role="cell" class="last muted">—</div>`;
  if (!lb.finishedAt) {
    return html`<div role="cell" class="last" title=${ACTION_LABELS[lb.action] ?? lb.action}>
      <div class="muted">in progress</div>
      <div class="sub"><span class="chip ${jobTone(lb.state)}">${stateLabel(lb.state)}</span></div>
    </div>`;
  }
  const dur = last && last.id === lb.jobId ? last.durationMs : null;
  return html`<div role="cell" class="last" title=${`${formatTimestamp(lb.finishedAt)} · ${ACTION_LABELS[lb.action]}${dur != null ? ` · ${formatDuration(dur)}` : ""}`}>
    <div>${formatRelative(lb.finishedAt)}</div>
    <div class="sub"><span class="chip ${jobTone(lb.state)}">${stateLabel(lb.state)}</span></div>
  </div>`;
}
