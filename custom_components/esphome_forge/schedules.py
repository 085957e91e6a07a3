"""Schedules as the entities show them: which cover a device, and when the next run is.

The sidecar owns the schedules and computes each one's next run (`nextRunAt`); this only reads them.
`covers` mirrors `scheduleCovers` in shared/src/schedules.ts.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from homeassistant.util import dt as dt_util

if TYPE_CHECKING:
    from .coordinator import ForgeData


def covers(schedule: dict[str, Any], device: dict[str, Any]) -> bool:
    """Whether the schedule's target includes the device: itself, one of its tags, or the fleet."""
    target = schedule.get("target") or {}
    kind = target.get("kind")
    if kind == "fleet":
        return True
    if kind == "device":
        return target.get("deviceId") == device["id"]
    return kind == "tag" and target.get("tag") in (device.get("tags") or [])


def _next(schedules: list[dict[str, Any]]) -> datetime | None:
    times = [
        parsed
        for s in schedules
        if s.get("enabled") and (parsed := dt_util.parse_datetime(s.get("nextRunAt") or ""))
    ]
    return min(times, default=None)


def next_run(data: ForgeData) -> datetime | None:
    """The soonest next run of any enabled schedule."""
    return _next(list(data.schedules.values()))


def next_run_for_device(data: ForgeData, device_id: str) -> str | None:
    """The soonest next run of the schedules that cover this device (ISO time), or None."""
    device = data.devices.get(device_id)
    if device is None:
        return None
    soonest = _next([s for s in data.schedules.values() if covers(s, device)])
    return soonest.isoformat() if soonest else None


def describe_target(target: dict[str, Any]) -> str:
    """`device kitchen`, `tag outdoor`, `fleet`."""
    kind = target.get("kind", "")
    if kind == "device":
        return f"device {target.get('deviceId')}"
    if kind == "tag":
        return f"tag {target.get('tag')}"
    return str(kind)


def schedule_attributes(data: ForgeData) -> dict[str, Any]:
    """The hub sensor's attributes: every schedule with its timing, next run and last run."""
    out = []
    for s in sorted(data.schedules.values(), key=lambda s: s["id"]):
        when = s.get("when") or {}
        last = s.get("lastRun") or {}
        out.append(
            {
                "id": s["id"],
                "name": s.get("name") or None,
                "enabled": s.get("enabled"),
                "target": describe_target(s.get("target") or {}),
                "action": s.get("action"),
                "only_outdated": s.get("onlyOutdated"),
                "cron": when.get("cron"),
                "time_zone": when.get("timeZone"),
                "at": when.get("at"),
                "next_run": s.get("nextRunAt"),
                "last_run": last.get("ranAt"),
                "last_outcome": last.get("outcome"),
            }
        )
    return {"schedules": out}
