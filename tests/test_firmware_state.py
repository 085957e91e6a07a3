"""The update entity's rules as a pure function: the cases a real sidecar cannot easily produce
(invalid trust, unreadable configs, betas, project versions, long reasons, progress steps)."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.esphome_forge.firmware_state import (
    SUMMARY_MAX,
    firmware_state,
    install_percentage,
    is_older,
    reported_esphome_version,
    reported_project_version,
)

HASH_A = "a" * 64
HASH_B = "b" * 64


def _node(**overrides: Any) -> dict[str, Any]:
    verdict = {"state": "verified", "reason": "approved as build #1"}
    node = {
        "configHash": HASH_A,
        "error": None,
        "outdated": False,
        "pinnedVersion": None,
        "targetVersion": "2026.10.0",
        "lastBuild": None,
        "trust": {"running": verdict, "pending": verdict},
    }
    return {**node, **overrides}


FLASH = {"esphomeVersion": "2026.10.0", "configHash": HASH_A}


@pytest.mark.parametrize(
    ("sw_version", "expected"),
    [
        ("2026.9.1 (Oct  1 2026, 10:00:00)", "2026.9.1"),
        ("2026.9.1", "2026.9.1"),
        ("1.4.0 (ESPHome 2026.10.0b2)", "2026.10.0b2"),
        ("1.4.0", None),  # a project version alone is not an ESPHome release
        ("", None),
        (None, None),
    ],
)
def test_reported_esphome_version(sw_version: str | None, expected: str | None) -> None:
    """Both shapes of the sw_version HA's ESPHome integration writes."""
    assert reported_esphome_version(sw_version) == expected


def test_is_older() -> None:
    """Release order, betas before their release; dev and nonsense are never "older"."""
    assert is_older("2026.6.5", "2026.10.0")
    assert is_older("2026.10.0b1", "2026.10.0")
    assert not is_older("2026.10.0", "2026.10.0")
    assert not is_older("2026.11.0", "2026.10.0")
    assert not is_older("dev", "2026.10.0")
    assert not is_older("2026.6.5", None)


def test_up_to_date_and_outdated() -> None:
    """The sidecar's `outdated` decides; the summary names what changed."""
    same = firmware_state(_node(), FLASH, default_version=None, reported_version="2026.1.0")
    assert (same.installed, same.latest, same.update_available) == (
        "2026.10.0+aaaaaaaa",
        "2026.10.0+aaaaaaaa",
        False,
    )
    assert same.summary is None
    changed = firmware_state(
        _node(outdated=True, configHash=HASH_B, targetVersion="2026.11.0"),
        FLASH,
        default_version=None,
        reported_version=None,
    )
    assert changed.latest == "2026.11.0+bbbbbbbb"
    assert changed.update_available
    assert changed.summary == (
        "The config changed since the last flash; ESPHome 2026.10.0 → 2026.11.0."
    )


@pytest.mark.parametrize("trust", ["revoked", "invalid", "stale"])
def test_untrusted_running_firmware_is_offered(trust: str) -> None:
    """Same config, same version, but the running image is not trusted: an install is offered."""
    node = _node(trust={"running": {"state": trust, "reason": "x" * 400}, "pending": {}})
    state = firmware_state(node, FLASH, default_version=None, reported_version=None)
    assert state.installed == f"2026.10.0+aaaaaaaa ({trust})"
    assert state.latest == "2026.10.0+aaaaaaaa"
    assert state.update_available
    assert state.summary.startswith(f"Running firmware is {trust}; ")
    assert state.summary.endswith("xxx…")
    assert len(state.summary) == SUMMARY_MAX


def test_untrusted_and_older_target_says_both() -> None:
    """Revoked firmware is replaced even when that downgrades ESPHome, and the summary says so."""
    node = _node(
        outdated=True,
        targetVersion="2026.6.5",
        trust={"running": {"state": "revoked", "reason": "leaked"}, "pending": {}},
    )
    state = firmware_state(node, FLASH, default_version=None, reported_version=None)
    assert state.update_available
    assert state.install_refusal is None
    assert "installing also downgrades ESPHome to 2026.6.5" in state.summary


def test_unknown_signer_and_not_checked_are_not_replacement_reasons() -> None:
    """Only revoked, invalid and stale make firmware "not up to date" by themselves."""
    for trust in ("unknown_signer", "unsigned", "unknown"):
        node = _node(trust={"running": {"state": trust, "reason": "r"}, "pending": {}})
        state = firmware_state(node, FLASH, default_version=None, reported_version=None)
        assert not state.update_available, trust


def test_pinned_older_than_reported_is_a_downgrade() -> None:
    """A pin below what ESPHome reports is refused, not offered."""
    node = _node(outdated=True, targetVersion=None, pinnedVersion="2026.6.5")
    state = firmware_state(node, None, default_version=None, reported_version="2026.10.0")
    assert not state.update_available
    assert state.install_refusal == "install_refused_downgrade"
    assert state.installed == "2026.10.0"
    assert state.latest == "2026.6.5+aaaaaaaa"


def test_unreadable_config() -> None:
    """Nothing to build: no update, Install refused, the error is the summary."""
    node = _node(error="while parsing a block mapping", outdated=False)
    flashed = firmware_state(node, FLASH, default_version=None, reported_version=None)
    assert (flashed.latest, flashed.update_available) == ("2026.10.0+aaaaaaaa", False)
    assert flashed.install_refusal == "install_refused_config_error"
    assert flashed.summary == "The config cannot be read: while parsing a block mapping"
    never = firmware_state(node, None, default_version=None, reported_version=None)
    assert (never.installed, never.latest) == ("unknown", None)


def test_no_pin_and_no_default_compares_configs_only() -> None:
    """Without a target version the worker's ESPHome builds: assume the last flash's release."""
    node = _node(targetVersion=None)
    state = firmware_state(node, FLASH, default_version=None, reported_version=None)
    assert state.latest == "2026.10.0+aaaaaaaa"
    assert not state.update_available


def _running(match: str, version: str = "2026.9.0", source: str = "mdns") -> dict[str, Any]:
    return {
        "esphomeVersion": version,
        "source": source,
        "match": match,
        "note": f"the device reports ESPHome {version}, Forge flashed ESPHome 2026.10.0 (job #3)",
    }


def test_reported_project_version() -> None:
    """Only a project device's sw_version carries a project version."""
    assert reported_project_version("1.4.0 (ESPHome 2026.10.0)") == "1.4.0"
    assert reported_project_version("2026.9.1 (Oct  1 2026, 10:00:00)") is None
    assert reported_project_version(None) is None


def test_running_firmware_that_matches_keeps_forges_build() -> None:
    """The device runs what Forge flashed: installed is Forge's build identity, HA's stale report aside."""
    for match in ("matches", "unconfirmed"):
        node = _node(running=_running(match, "2026.10.0"))
        state = firmware_state(node, FLASH, default_version=None, reported_version="2026.1.0")
        assert (state.installed, state.update_available) == ("2026.10.0+aaaaaaaa", False), match


def test_changed_outside_forge_installs_what_runs_and_offers_install() -> None:
    """Another tool's firmware: installed is what the device reports, Install replaces it."""
    node = _node(running=_running("changed_outside_forge"))
    state = firmware_state(node, FLASH, default_version=None, reported_version="2026.1.0")
    assert state.installed == "2026.9.0"
    assert state.latest == "2026.10.0+aaaaaaaa"
    assert state.update_available
    assert state.install_refusal is None
    assert state.summary == (
        "Changed outside Forge: the device reports ESPHome 2026.9.0, Forge flashed ESPHome"
        " 2026.10.0 (job #3). Install builds its current config with ESPHome 2026.10.0 and"
        " flashes it."
    )
    # …unless that would downgrade ESPHome: refused, as any downgrade.
    newer = _node(running=_running("changed_outside_forge", "2026.12.0"))
    refused = firmware_state(newer, FLASH, default_version=None, reported_version=None)
    assert refused.installed == "2026.12.0"
    assert not refused.update_available
    assert refused.install_refusal == "install_refused_downgrade"
    assert refused.summary.startswith("Changed outside Forge (the device reports ESPHome 2026.12.0")


def test_not_flashed_running_version_wins_over_hass_registry() -> None:
    """Before Forge flashes: what the device advertises, worded by its source."""
    mdns = firmware_state(
        _node(running=_running("not_flashed", "2026.9.1")),
        None,
        default_version=None,
        reported_version="2026.1.0",
    )
    assert mdns.installed == "2026.9.1"
    assert mdns.summary.startswith(
        "Forge has not flashed this device yet; it advertises ESPHome 2026.9.1."
    )
    ha = firmware_state(
        _node(running=_running("not_flashed", "2026.9.1", source="ha")),
        None,
        default_version=None,
        reported_version=None,
    )
    assert "ESPHome reports it runs 2026.9.1" in ha.summary


def _job(action: str, phase: str | None, progress: float | None, state: str = "running") -> dict:
    return {"action": action, "phase": phase, "progress": progress, "state": state}


def test_install_percentage() -> None:
    """One number for the whole install, in 10 % steps; None while there is none to show."""
    assert install_percentage(None) is None
    assert install_percentage(_job("compile_upload", "compile", 50, state="queued")) is None
    assert install_percentage(_job("compile_upload", "prepare", None)) is None
    assert install_percentage(_job("compile_upload", "compile", 0)) == 0
    assert install_percentage(_job("compile_upload", "compile", 55)) == 40  # 49.5 %
    assert install_percentage(_job("compile_upload", "compile", 100)) == 90
    assert install_percentage(_job("compile_upload", "upload", None)) == 90
    assert install_percentage(_job("compile_upload", "upload", 0)) == 90
    assert install_percentage(_job("compile_upload", "upload", 100)) == 100
    assert install_percentage(_job("upload", "upload", 37)) == 30
    # A build reporting every percent moves the entity at most 11 times.
    values = {install_percentage(_job("compile_upload", "compile", p)) for p in range(101)}
    values |= {install_percentage(_job("compile_upload", "upload", p)) for p in range(101)}
    assert len(values) == 11
