"""Build now, flash later, as the update entity says and does it.

- Staged firmware: the sidecar keeps the approved image of a device's newest build
  (`Device.storedFirmware`); when it is `current` (built from the config and ESPHome version Forge
  would build now) an install flashes it with an `upload` job, without recompiling.
- Armed: a flashing job in `waiting_for_device` holds its image until the device is online again
  (`Job.blockedReason` says why, `Job.waitingUntil` until when). That wait can last days (a
  deep-sleep device, a device on holiday), so it is said in the summary, not as `in_progress`:
  a spinner that turns for a week tells the user nothing and hides the entity's other states.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.util import dt as dt_util

WAITING_STATE: Final = "waiting_for_device"
# Verdicts on the staged image (`trust.pending`) that the upload gate refuses: Install builds afresh.
UNFLASHABLE_TRUST: Final = ("revoked", "invalid")


@dataclass(frozen=True, kw_only=True)
class InstallPlan:
    """The job an install creates."""

    action: str
    params: dict[str, Any]


def staged_firmware(node: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The staged build when it is not what Forge last flashed (then it is news); else None.

    Not news: the same image; a build of the same config with the same ESPHome. A sidecar from
    before uploads named their image leaves an upload's `lastFlash` without digest or ESPHome
    version: a flash of the same config after the staged build then counts as having sent it.
    Flashing it again would change nothing the user asked for.
    """
    stored: Mapping[str, Any] | None = node.get("storedFirmware")
    if not stored:
        return None
    flashed: Mapping[str, Any] = node.get("lastFlash") or {}
    if flashed.get("firmwareSha256") and flashed["firmwareSha256"] == stored["firmwareSha256"]:
        return None
    same_config = stored.get("configHash") is not None and stored["configHash"] == flashed.get(
        "configHash"
    )
    if same_config and (
        stored.get("esphomeVersion") == flashed.get("esphomeVersion")
        or (
            not flashed.get("firmwareSha256")
            and int(flashed.get("jobId") or 0) > int(stored["jobId"])
        )
    ):
        return None
    return stored


def staged_note(node: Mapping[str, Any]) -> str | None:
    """The staged line (`Staged: build #12, ESPHome 2026.10.0 (current).`); None: none staged."""
    stored = staged_firmware(node)
    if stored is None:
        return None
    version = stored.get("esphomeVersion") or "unknown"
    if (verdict := _staged_verdict(node)) in UNFLASHABLE_TRUST:
        mark = f"{verdict}: Install builds afresh"
    else:
        mark = "current" if stored.get("current") else "not current: Install builds afresh"
    return f"Staged: build #{stored['jobId']}, ESPHome {version} ({mark})."


def _staged_verdict(node: Mapping[str, Any]) -> str | None:
    verdict: str | None = ((node.get("trust") or {}).get("pending") or {}).get("state")
    return verdict


def staged_is_current(node: Mapping[str, Any]) -> bool:
    """Install flashes the staged build as it is: current, and not refused by content trust."""
    stored = staged_firmware(node)
    return (
        stored is not None
        and stored.get("current") is True
        and _staged_verdict(node) not in UNFLASHABLE_TRUST
    )


def install_plan(node: Mapping[str, Any]) -> InstallPlan:
    """Flash the staged image when it is current, else compile and flash; arm an offline device.

    The staged image is named by its digest so the job flashes exactly what the summary showed,
    even if a build finishes in between. An offline device (asleep or away) is armed
    (`whenOnline`): the build runs now and the flash waits for the device instead of failing.
    """
    params: dict[str, Any] = {}
    if staged_is_current(node):
        action = "upload"
        params["firmwareSha256"] = node["storedFirmware"]["firmwareSha256"]
    else:
        action = "compile_upload"
    if node.get("online") is False:
        params["whenOnline"] = True
    return InstallPlan(action=action, params=params)


def offline_note(node: Mapping[str, Any], device_name: str) -> str | None:
    """What Install does for a device that is away: it arms the flash (None while online or unknown)."""
    if node.get("online") is not False:
        return None
    if node.get("deepSleep"):
        return f"{device_name} is asleep: Install builds now and flashes it when it wakes."
    return f"{device_name} is offline: Install builds now and flashes it when it is back online."


def is_waiting(job: Mapping[str, Any] | None) -> bool:
    """A flashing job holding its image until the device is back."""
    return job is not None and job.get("state") == WAITING_STATE


def waiting_job(jobs: Mapping[int, Mapping[str, Any]], device_id: str) -> Mapping[str, Any] | None:
    """The device's newest armed job (a build of another job may run meanwhile)."""
    waiting = [j for j in jobs.values() if j["deviceId"] == device_id and is_waiting(j)]
    return max(waiting, key=lambda j: j["id"]) if waiting else None


def format_until(iso: str | None) -> str | None:
    """A wait's expiry in HA's time zone, to the minute (`2026-12-12 08:00`)."""
    when = dt_util.parse_datetime(iso or "")
    return dt_util.as_local(when).strftime("%Y-%m-%d %H:%M") if when else None


def armed_note(job: Mapping[str, Any], device_name: str) -> str:
    """The armed line: `Armed: flashes when Kitchen is back online, until 2026-12-12 08:00 (job #12).`."""
    until = format_until(job.get("waitingUntil"))
    return (
        f"Armed: flashes when {device_name} is back online"
        f"{f', until {until}' if until else ''} (job #{job['id']})."
    )
