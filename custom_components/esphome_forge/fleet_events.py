"""Schedules, alerts and the newest ESPHome release from the sidecar's events stream.

The sidecar decides what happened; this turns it into Home Assistant's terms: bus events for a
schedule that ran, a new ESPHome release and a device that went offline or came back (the Device's
`online` from the sidecar's presence; unknown presence is no event), and one repairs issue per active alert (a worker
offline too long, a device whose builds keep failing). Events are derived from state changes, so a
reconnect's fresh snapshot catches up on what happened meanwhile; the first snapshot after setup is
taken as it is (no events for the past).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from .const import (
    DOMAIN,
    EVENT_DEVICE_OFFLINE,
    EVENT_DEVICE_ONLINE,
    EVENT_ESPHOME_RELEASE,
    EVENT_SCHEDULE_RAN,
    ISSUE_ALERT_PREFIX,
)

if TYPE_CHECKING:
    from .coordinator import ForgeConfigEntry, ForgeCoordinator, ForgeData


def _after(timestamp: str | None, moment: datetime) -> bool:
    parsed = dt_util.parse_datetime(timestamp or "")
    # Allow for clock skew between HA and the sidecar.
    return parsed is not None and parsed >= moment - timedelta(minutes=1)


class FleetEvents:
    """Applies schedule / alert / release events to the data and tells HA about them."""

    def __init__(
        self, hass: HomeAssistant, entry: ForgeConfigEntry, coordinator: ForgeCoordinator
    ) -> None:
        """Nothing happens until the first snapshot."""
        self.hass = hass
        self.entry = entry
        self.coordinator = coordinator
        self._started = dt_util.utcnow()

    # ---- the stream ------------------------------------------------------------------------------

    @callback
    def apply_snapshot(self, data: ForgeData, event: dict[str, Any], had_data: bool) -> None:
        """A fresh snapshot: replace schedules, alerts and release; catch up on news if reconnecting."""
        before = data.schedules
        data.schedules = {int(s["id"]): s for s in event.get("schedules") or []}
        if had_data:
            for schedule_id, schedule in data.schedules.items():
                self._maybe_ran(before.get(schedule_id), schedule)
        data.alerts = {a["id"]: a for a in event.get("alerts") or []}
        self._sync_issues(data)
        old_release = data.esphome_release
        data.esphome_release = event.get("esphomeRelease")
        if had_data or _after((data.esphome_release or {}).get("detectedAt"), self._started):
            self._maybe_release(old_release, data.esphome_release)

    @callback
    def apply(self, data: ForgeData, event: dict[str, Any]) -> None:
        """A `schedule`, `alert` or `release` delta."""
        kind = event["type"]
        if kind == "schedule":
            schedule_id = int(event["id"])
            if event["op"] == "remove" or event.get("schedule") is None:
                data.schedules.pop(schedule_id, None)
            else:
                old = data.schedules.get(schedule_id)
                data.schedules[schedule_id] = event["schedule"]
                self._maybe_ran(old, event["schedule"])
        elif kind == "alert":
            if event["op"] == "remove" or event.get("alert") is None:
                data.alerts.pop(event["id"], None)
            else:
                data.alerts[event["id"]] = event["alert"]
            self._sync_issues(data)
        elif kind == "release":
            old = data.esphome_release
            data.esphome_release = event.get("release")
            self._maybe_release(old, data.esphome_release)

    @callback
    def device_changed(self, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        """A device went offline or came back (only when the sidecar reports `online`)."""
        was = (old or {}).get("online")
        now = new.get("online")
        if not isinstance(was, bool) or not isinstance(now, bool) or was == now:
            return
        self.hass.bus.async_fire(
            EVENT_DEVICE_ONLINE if now else EVENT_DEVICE_OFFLINE,
            {
                "config_entry_id": self.entry.entry_id,
                "device": new["id"],
                "device_id": self.coordinator.ha_device_id(new["id"]),
            },
        )

    @callback
    def async_shutdown(self) -> None:
        """Unload: this entry's alert issues go (they come back with the next setup if still active)."""
        for issue_id in self._our_issues():
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    # ---- bus events ------------------------------------------------------------------------------

    def _maybe_ran(self, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        run = new.get("lastRun")
        if run is None or (old is not None and (old.get("lastRun") or {}).get("id") == run["id"]):
            return
        if old is None and not _after(run.get("ranAt"), self._started):
            return  # a schedule we had not seen, with an old run: not news
        self.hass.bus.async_fire(
            EVENT_SCHEDULE_RAN,
            {
                "config_entry_id": self.entry.entry_id,
                "schedule_id": new["id"],
                "name": new.get("name") or None,
                "target": new.get("target"),
                "action": new.get("action"),
                "outcome": run["outcome"],
                "trigger": run["trigger"],
                "job_ids": run.get("jobIds") or [],
                "detail": run.get("detail"),
                "due_at": run.get("dueAt"),
                "next_run": new.get("nextRunAt"),
            },
        )

    def _maybe_release(self, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        if new is None or (old is not None and old.get("version") == new.get("version")):
            return
        self.hass.bus.async_fire(
            EVENT_ESPHOME_RELEASE,
            {
                "config_entry_id": self.entry.entry_id,
                "version": new["version"],
                "release_notes_url": new.get("releaseNotesUrl"),
                "fleet_version": new.get("fleetVersion"),
            },
        )

    # ---- repairs ---------------------------------------------------------------------------------

    def _issue_id(self, alert_id: str) -> str:
        return f"{ISSUE_ALERT_PREFIX}_{self.entry.entry_id}_{alert_id.replace(':', '_')}"

    def _our_issues(self) -> list[str]:
        prefix = f"{ISSUE_ALERT_PREFIX}_{self.entry.entry_id}_"
        return [
            issue_id
            for (domain, issue_id) in ir.async_get(self.hass).issues
            if domain == DOMAIN and issue_id.startswith(prefix)
        ]

    def _sync_issues(self, data: ForgeData) -> None:
        wanted = {self._issue_id(a["id"]): a for a in data.alerts.values()}
        for issue_id in self._our_issues():
            if issue_id not in wanted:
                ir.async_delete_issue(self.hass, DOMAIN, issue_id)
        for issue_id, alert in wanted.items():
            details = alert.get("details") or {}
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=alert["kind"],
                translation_placeholders={
                    "title": self.entry.title,
                    "message": alert.get("message", ""),
                    "since": alert.get("since", ""),
                    "subject": alert.get("subject", ""),
                    "worker": str(details.get("worker") or alert.get("subject", "")),
                    "device": str(details.get("device") or alert.get("subject", "")),
                    "failures": str(details.get("failures", "")),
                    "last_error": str(details.get("lastError") or ""),
                    "threshold": str(
                        details.get("thresholdMinutes") or details.get("threshold") or ""
                    ),
                },
            )
