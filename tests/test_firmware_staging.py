"""Staged builds and armed flashes as pure functions: which staged build is news, what Install
creates, how an armed wait is worded (the real-sidecar flows are in test_update_staged.py)."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.esphome_forge.firmware_staging import (
    armed_note,
    install_plan,
    offline_note,
    staged_firmware,
    staged_note,
    waiting_job,
)
from custom_components.esphome_forge.firmware_state import firmware_state
from homeassistant.core import HomeAssistant

HASH_A = "a" * 64
HASH_B = "b" * 64
IMAGE = "c" * 64
FLASH = {
    "jobId": 10,
    "configHash": HASH_A,
    "esphomeVersion": "2026.9.0",
    "firmwareSha256": "d" * 64,
}
STAGED = {
    "jobId": 12,
    "finishedAt": "2026-11-20T09:30:00Z",
    "firmwareSha256": IMAGE,
    "esphomeVersion": "2026.10.0",
    "configHash": HASH_A,
    "current": True,
}


def _node(**overrides: Any) -> dict[str, Any]:
    node = {"id": "kitchen", "configHash": HASH_A, "lastFlash": FLASH, "storedFirmware": STAGED}
    return {**node, **overrides}


@pytest.mark.parametrize(
    ("flash", "news"),
    [
        (FLASH, True),  # ESPHome upgrade built, not flashed yet
        (None, True),  # never flashed
        ({**FLASH, "firmwareSha256": IMAGE}, False),  # the same image runs
        ({**FLASH, "esphomeVersion": "2026.10.0"}, False),  # the same build identity runs
        # An older sidecar's upload after the build (no digest nor version): it sent the staged build.
        ({**FLASH, "jobId": 13, "esphomeVersion": None, "firmwareSha256": None}, False),
        # An upload that names its image: an older image of the same config sent later hides nothing.
        ({**FLASH, "jobId": 13, "firmwareSha256": "9" * 64}, True),
        # A flash of another config after it does not hide it.
        ({**FLASH, "jobId": 13, "configHash": HASH_B, "firmwareSha256": None}, True),
    ],
)
def test_staged_build_is_news_until_it_runs(flash: dict[str, Any] | None, news: bool) -> None:
    """Only a staged build that is not what runs is worth naming."""
    node = _node(lastFlash=flash)
    assert (staged_firmware(node) is not None) is news
    assert (staged_note(node) is not None) is news


def test_install_flashes_a_current_staged_build_and_arms_offline_devices() -> None:
    """Current: an upload of exactly that digest; not current: compile + upload; offline: armed."""
    plan = install_plan(_node())
    assert (plan.action, plan.params) == ("upload", {"firmwareSha256": IMAGE})
    assert staged_note(_node()) == "Staged: build #12, ESPHome 2026.10.0 (current)."

    stale = _node(storedFirmware={**STAGED, "current": False})
    assert install_plan(stale).action == "compile_upload"
    assert install_plan(stale).params == {}
    assert staged_note(stale) == (
        "Staged: build #12, ESPHome 2026.10.0 (not current: Install builds afresh)."
    )

    # A revoked (or invalid) staged image is refused at the upload gate: Install builds afresh.
    revoked = _node(trust={"pending": {"state": "revoked"}, "running": {"state": "unknown"}})
    assert install_plan(revoked).action == "compile_upload"
    assert staged_note(revoked) == (
        "Staged: build #12, ESPHome 2026.10.0 (revoked: Install builds afresh)."
    )

    assert install_plan(_node(online=False)).params == {"firmwareSha256": IMAGE, "whenOnline": True}
    assert install_plan(_node(storedFirmware=None, online=False)).params == {"whenOnline": True}
    # Unknown presence is not offline: no arming on a guess.
    assert "whenOnline" not in install_plan(_node(online=None)).params


def test_offline_note_says_install_arms() -> None:
    """Away: Install arms the flash; asleep is said as such; unknown presence says nothing."""
    assert offline_note(_node(online=False), "Kitchen") == (
        "Kitchen is offline: Install builds now and flashes it when it is back online."
    )
    assert offline_note(_node(online=False, deepSleep=True), "Kitchen") == (
        "Kitchen is asleep: Install builds now and flashes it when it wakes."
    )
    assert offline_note(_node(online=None), "Kitchen") is None
    assert offline_note(_node(online=True, deepSleep=True), "Kitchen") is None


def test_the_state_summary_says_install_flashes_the_staged_build() -> None:
    """Never flashed by Forge, a current staged build: Install is an upload, and the summary says so."""
    node = {"configHash": HASH_A, "error": None, "outdated": True, "targetVersion": "2026.10.0"}
    plain = firmware_state(node, None, reported_version=None).summary
    staged = firmware_state(node, None, reported_version=None, staged_current=True).summary
    assert plain.endswith(
        "Install builds its current config with ESPHome 2026.10.0 and flashes it."
    )
    assert staged.endswith("Install flashes the staged build (no recompile).")


async def test_armed_note_in_the_home_assistant_time_zone(hass: HomeAssistant) -> None:
    """The expiry reads in HA's time zone, to the minute; without one the note still says what happens."""
    await hass.config.async_set_time_zone("Europe/Berlin")
    job = {"id": 7, "deviceId": "kitchen", "state": "waiting_for_device"}
    until = {**job, "waitingUntil": "2026-12-12T07:00:00.000Z"}
    assert armed_note(until, "Kitchen") == (
        "Armed: flashes when Kitchen is back online, until 2026-12-12 08:00 (job #7)."
    )
    assert armed_note(job, "Kitchen") == "Armed: flashes when Kitchen is back online (job #7)."
    jobs = {7: until, 8: {**job, "id": 8, "state": "queued"}, 9: {**job, "id": 9}}
    assert waiting_job(jobs, "kitchen")["id"] == 9
    assert waiting_job(jobs, "office") is None
