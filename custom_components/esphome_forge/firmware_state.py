"""What runs on a node, what Forge would build, and whether that is an update: one pure function.

Versions are build identities, `<ESPHome version>+<first 8 hex of the config hash>`. The installed
one is what Forge last flashed while the device's running firmware (the sidecar's `running`: what
it advertises over mDNS or HA's ESPHome integration reported) matches it; the ESPHome version the
device reports when it was changed outside Forge or Forge never flashed it; else, from sidecars
without presence, the version HA's ESPHome integration reports; else the literal `unknown`. (HA's
frontend hides an update entity's dialog, Install button included, while its state is unknown,
which is what a missing installed version gives; so "unknown" is said in words, and the summary
says why.)

- Firmware whose content trust is revoked, invalid or stale is never up to date: the installed
  version carries the state, e.g. `2026.10.0+1a2b3c4d (revoked)`, and Install replaces it.
- A build with an older ESPHome than the one running is a downgrade: never offered as an update
  (the state stays off, Install refuses), and the summary says how to resolve it.

The sidecar's `outdated` flag decides whether the config or the ESPHome version changed since the
last flash, and its `running.match` whether the device runs what Forge flashed (the rules live
there); this module only words the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import re
from typing import Any, Final

from awesomeversion import AwesomeVersion, AwesomeVersionException

from .const import TRUST_REPLACE_STATES

UNKNOWN_VERSION: Final = "unknown"
# HA's release_summary limit.
SUMMARY_MAX: Final = 255

# HA's ESPHome integration writes `sw_version` as "2026.9.1 (Oct 1 2026, 10:00:00)", or for a
# project "1.2.3 (ESPHome 2026.9.1)".
_PROJECT_SW_RE = re.compile(r"\(ESPHome ([^)\s]+)\)")
_RELEASE_RE = re.compile(r"^\d{4}\.\d{1,2}\.\d+(?:[a-z]+\d*)?$")


@dataclass(frozen=True, kw_only=True)
class FirmwareState:
    """The update entity's view of one node."""

    installed: str | None
    latest: str | None
    # Whether `latest` is an update of `installed` (HA calls it "newer").
    update_available: bool
    summary: str | None
    # Why Install is refused, when it is: the translation key of the error (exceptions.*).
    install_refusal: str | None = None


def firmware_version(esphome_version: str | None, config_hash: str | None) -> str | None:
    """`2026.10.0+1a2b3c4d`; None when the config hash is unknown."""
    if not config_hash:
        return None
    short = config_hash[:8]
    return f"{esphome_version}+{short}" if esphome_version else short


def chosen_version(node: Mapping[str, Any]) -> str | None:
    """The ESPHome version the device's pin or the fleet default names; None: the worker decides.

    The sidecar's `targetVersion` already is the pin, else the fleet default.
    """
    return node.get("targetVersion") or node.get("pinnedVersion")


def target_version(node: Mapping[str, Any], flash: Mapping[str, Any] | None) -> str | None:
    """The ESPHome version Forge would build with.

    With neither a pin nor a fleet default the worker's own ESPHome decides; the sidecar then
    compares configs only, and so do we, assuming the version of the last build.
    """
    return (
        chosen_version(node)
        or (flash or {}).get("esphomeVersion")
        or (node.get("lastBuild") or {}).get("esphomeVersion")
    )


def reported_esphome_version(sw_version: str | None) -> str | None:
    """The ESPHome release in the `sw_version` HA's ESPHome integration keeps for a device."""
    if not sw_version:
        return None
    match = _PROJECT_SW_RE.search(sw_version)
    version = match.group(1) if match else sw_version.split(" ")[0]
    return version if _RELEASE_RE.match(version) else None


def reported_project_version(sw_version: str | None) -> str | None:
    """The project version in a project device's `sw_version` ("1.2.3 (ESPHome 2026.9.1)")."""
    if not sw_version or not _PROJECT_SW_RE.search(sw_version):
        return None
    return sw_version.split(" ")[0] or None


def is_older(candidate: str | None, running: str | None) -> bool:
    """True when both are ESPHome releases and `candidate` is older than `running`."""
    if not candidate or not running or "dev" in (candidate, running):
        return False
    try:
        return AwesomeVersion(candidate) < AwesomeVersion(running)
    except AwesomeVersionException:
        return False


def _changes(flash: Mapping[str, Any], node: Mapping[str, Any], target: str | None) -> str:
    parts = []
    if flash.get("configHash") != node.get("configHash"):
        parts.append("the config changed since the last flash")
    if target and flash.get("esphomeVersion") != target:
        parts.append(f"ESPHome {flash.get('esphomeVersion') or '?'} → {target}")
    return "; ".join(parts) or "the build changed since the last flash"


def clip_summary(text: str) -> str:
    """HA keeps at most 255 characters of a release summary."""
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1] + "…"


def firmware_state(
    node: Mapping[str, Any],
    flash: Mapping[str, Any] | None,
    *,
    reported_version: str | None,
    staged_current: bool = False,
) -> FirmwareState:
    """Installed and latest version, whether to offer Install, and why, for one node.

    `node` is the sidecar's Device (its `running`, when present, is what the device reports),
    `flash` the last job that flashed it (None: never by Forge), `reported_version` the ESPHome
    version HA's ESPHome integration reports (None: not known; the fallback for older sidecars),
    `staged_current` whether Install flashes a current staged build instead of building
    (firmware_staging.py).
    """
    pinned = chosen_version(node)
    target = target_version(node, flash)
    would_build = firmware_version(target, node.get("configHash"))
    running_fw = node.get("running") or {}
    match = running_fw.get("match")
    # What the device itself reports wins over HA's device registry (the sidecar already merged it).
    reported_version = running_fw.get("esphomeVersion") or reported_version
    if match == "changed_outside_forge":
        return _changed_outside_forge(
            running_fw,
            reported_version,
            pinned,
            would_build,
            _install_phrase(target, staged_current),
        )
    if flash is not None:
        running = flash.get("esphomeVersion")
        installed = firmware_version(running, flash.get("configHash")) or UNKNOWN_VERSION
    else:
        running = reported_version
        installed = reported_version or UNKNOWN_VERSION

    if node.get("error"):
        # Nothing can be built until the config reads again; keep what runs.
        return FirmwareState(
            installed=installed,
            latest=installed if installed != UNKNOWN_VERSION else None,
            update_available=False,
            summary=clip_summary(f"The config cannot be read: {node['error']}"),
            install_refusal="install_refused_config_error",
        )

    downgrade = is_older(pinned, running)
    downgrade_note = (
        f"Forge would build with ESPHome {pinned}, older than the {running} running on the device"
    )
    trust = ((node.get("trust") or {}).get("running") or {}) if flash else {}
    if (trust_state := trust.get("state")) in TRUST_REPLACE_STATES:
        note = f"; installing also downgrades ESPHome to {pinned}" if downgrade else ""
        # A stale verdict comes from an expired revocation list: a new build is judged by it too.
        remedy = (
            "publish a fresh revocation list first: a new build is checked against it too"
            if trust_state == "stale"
            else "Install replaces it with a fresh build"
        )
        # What to do first, then the sidecar's reason (which may be long and gets clipped).
        return FirmwareState(
            installed=f"{installed} ({trust_state})",
            latest=would_build,
            update_available=True,
            summary=clip_summary(
                f"Running firmware is {trust_state}; {remedy}{note}."
                f" {trust.get('reason') or 'No reason given.'}"
            ),
        )
    if downgrade:
        return FirmwareState(
            installed=installed,
            latest=would_build,
            update_available=False,
            summary=clip_summary(
                f"Downgrade, not offered: {downgrade_note}. Pin the device to {running} or newer"
                " (or raise the fleet default); to downgrade on purpose, run esphome_forge.compile."
            ),
            install_refusal="install_refused_downgrade",
        )
    if flash is None:
        if reported_version and running_fw.get("source") == "mdns":
            why = (
                f"Forge has not flashed this device yet; it advertises ESPHome {reported_version}."
            )
        elif reported_version:
            why = f"Forge has not flashed this device yet; ESPHome reports it runs {reported_version}."
        else:
            why = (
                "Installed version unknown: Forge has not flashed this device and Home"
                " Assistant's ESPHome integration does not report its version."
            )
        return FirmwareState(
            installed=installed,
            latest=would_build,
            update_available=would_build is not None,
            summary=clip_summary(f"{why} {_install_phrase(target, staged_current)}"),
        )
    if not node.get("outdated"):
        return FirmwareState(
            installed=installed, latest=installed, update_available=False, summary=None
        )
    changes = _changes(flash, node, pinned)
    return FirmwareState(
        installed=installed,
        latest=would_build,
        update_available=True,
        summary=clip_summary(changes[0].upper() + changes[1:] + "."),
    )


def _changed_outside_forge(
    running_fw: dict[str, Any],
    reported: str | None,
    pinned: str | None,
    would_build: str | None,
    install: str,
) -> FirmwareState:
    """The device runs firmware Forge did not flash: what it reports is installed, Install replaces it."""
    installed = reported or UNKNOWN_VERSION
    note = running_fw.get("note") or "it reports other firmware than Forge flashed"
    if is_older(pinned, reported):
        return FirmwareState(
            installed=installed,
            latest=would_build,
            update_available=False,
            summary=clip_summary(
                f"Changed outside Forge ({note}). Forge would build with ESPHome {pinned}, older"
                f" than the {reported} it runs: not offered; pin the device to {reported} or newer."
            ),
            install_refusal="install_refused_downgrade",
        )
    return FirmwareState(
        installed=installed,
        latest=would_build,
        update_available=would_build is not None,
        summary=clip_summary(f"Changed outside Forge: {note}. {install}"),
    )


def _install_phrase(target: str | None, staged_current: bool) -> str:
    """What Install does: flash the current staged build, else build the config and flash it."""
    if staged_current:
        return "Install flashes the staged build (no recompile)."
    with_version = f" with ESPHome {target}" if target else ""
    return f"Install builds its current config{with_version} and flashes it."


# An install is compile then upload; the upload is the short tail.
_COMPILE_SHARE: Final = 90
PERCENT_STEP: Final = 10


def install_percentage(job: Mapping[str, Any] | None) -> int | None:
    """Progress of a whole install (compile 0 to 90 %, upload 90 to 100 %) in 10 % steps.

    Steps keep history small: every change of an entity's attributes is a recorder row, and the
    worker reports progress several times a second. None while the job has no progress to show.
    """
    if job is None or job["state"] != "running":
        return None
    phase = job.get("phase")
    if job.get("progress") is None:
        # Between compile and upload (the upload has not reported yet): the compile is done.
        return _COMPILE_SHARE if phase == "upload" and job["action"] == "compile_upload" else None
    progress = float(job["progress"])
    if phase == "compile" and job["action"] == "compile_upload":
        overall = progress * _COMPILE_SHARE / 100
    elif phase == "upload" and job["action"] == "compile_upload":
        overall = _COMPILE_SHARE + progress * (100 - _COMPILE_SHARE) / 100
    elif phase in ("compile", "upload"):
        overall = progress
    else:
        return None
    return int(overall // PERCENT_STEP * PERCENT_STEP)
