"""Update entities users can act on: not flashed yet, running a version ESPHome reports, a downgrade,
revoked and stale firmware. Real sidecar, real HA update platform, HA's ESPHome device registry."""

from __future__ import annotations

from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.esphome_forge.api import ForgeClient
from custom_components.esphome_forge.const import DOMAIN, EVENT_JOB_FINISHED
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .conftest import async_wait_for
from .sidecar import Sidecar

KITCHEN_MAC = "aa:bb:cc:dd:ee:01"


@pytest.fixture(autouse=True)
def quick_trust_debounce() -> Generator[None]:
    """Fetch the trust status shortly after a change instead of after the production cooldown."""
    with patch("custom_components.esphome_forge.trust_status.TRUST_STATUS_DEBOUNCE", 0.2):
        yield


async def _set_fleet_default(hass: HomeAssistant, sidecar: Sidecar, version: str) -> None:
    client = ForgeClient(async_get_clientsession(hass), sidecar.url, sidecar.token)
    await client.request("PATCH", "/settings", json={"defaultEsphomeVersion": version})


def _esphome_kitchen(hass: HomeAssistant, sw_version: str) -> dr.DeviceEntry:
    """HA's ESPHome integration knows the kitchen node and the version it last reported."""
    esphome_entry = MockConfigEntry(domain="esphome", unique_id=KITCHEN_MAC)
    esphome_entry.add_to_hass(hass)
    return dr.async_get(hass).async_get_or_create(
        config_entry_id=esphome_entry.entry_id,
        connections={(dr.CONNECTION_NETWORK_MAC, KITCHEN_MAC)},
        identifiers={("esphome", "kitchen")},
        name="Kitchen",
        sw_version=sw_version,
    )


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _install(hass: HomeAssistant, entity_id: str) -> dict[str, Any]:
    """Install through the update entity; return the finished job's event data."""
    finished = async_capture_events(hass, EVENT_JOB_FINISHED)
    await hass.services.async_call("update", "install", {"entity_id": entity_id}, blocking=True)
    await async_wait_for(lambda: bool(finished), what=f"{entity_id} installed")
    await hass.async_block_till_done()
    return finished[0].data


async def test_not_flashed_and_unknown_offers_install(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Nothing knows what runs: Install is offered (state on) and the summary says why."""
    state = hass.states.get("update.porch_firmware")
    assert state.state == STATE_ON
    assert state.attributes["installed_version"] == "unknown"
    assert state.attributes["latest_version"]
    assert (
        "ESPHome integration does not report its version" in (state.attributes["release_summary"])
    )
    assert (await _install(hass, "update.porch_firmware"))["result"] == "succeeded"
    await async_wait_for(
        lambda: hass.states.get("update.porch_firmware").state == STATE_OFF, what="up to date"
    )
    state = hass.states.get("update.porch_firmware")
    assert state.attributes["installed_version"] == state.attributes["latest_version"]
    assert state.attributes["release_summary"] is None


async def test_not_flashed_uses_the_version_esphome_reports(
    hass: HomeAssistant, sidecar: Sidecar, mock_config_entry: MockConfigEntry
) -> None:
    """ESPHome knows the node: its version is the installed one, and follows ESPHome's reports."""
    await _set_fleet_default(hass, sidecar, "2026.10.0")
    esphome_device = _esphome_kitchen(hass, "2026.9.1 (Oct  1 2026, 10:00:00)")
    await _setup(hass, mock_config_entry)

    state = hass.states.get("update.kitchen_firmware")
    assert state.state == STATE_ON
    assert state.attributes["installed_version"] == "2026.9.1"
    assert state.attributes["latest_version"].startswith("2026.10.0+")
    assert "ESPHome reports it runs 2026.9.1" in state.attributes["release_summary"]
    assert "with ESPHome 2026.10.0" in state.attributes["release_summary"]
    assert state.attributes["release_url"] == "https://esphome.io/changelog/2026.10.0.html"

    # The device was updated elsewhere and reconnected to ESPHome: no sidecar event needed.
    dr.async_get(hass).async_update_device(
        esphome_device.id, sw_version="1.4.0 (ESPHome 2026.10.0)"
    )
    await async_wait_for(
        lambda: (
            hass.states.get("update.kitchen_firmware").attributes["installed_version"]
            == "2026.10.0"
        ),
        what="the newly reported version",
    )
    # Same ESPHome release, but Forge cannot tell which config it was built from: still offered.
    assert hass.states.get("update.kitchen_firmware").state == STATE_ON


async def test_older_fleet_default_is_a_downgrade_not_an_update(
    hass: HomeAssistant, sidecar: Sidecar, mock_config_entry: MockConfigEntry
) -> None:
    """The device runs 2026.10.0 and the fleet default is 2026.6.5: not offered, and said so."""
    _esphome_kitchen(hass, "2026.10.0 (Oct  1 2026, 10:00:00)")
    await _setup(hass, mock_config_entry)
    # Forge flashes the porch with ESPHome 2026.10.0 (the stand-in's release).
    assert (await _install(hass, "update.porch_firmware"))["esphome_version"] == "2026.10.0"

    await _set_fleet_default(hass, sidecar, "2026.6.5")
    # The sidecar does not re-announce devices when the fleet default changes: reload.
    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    coordinator = mock_config_entry.runtime_data.coordinator
    # The sidecar calls them outdated (what it would build differs from what runs) …
    assert coordinator.data.devices["porch"]["outdated"] is True

    for entity_id, running in (
        ("update.porch_firmware", "2026.10.0"),  # flashed by Forge
        ("update.kitchen_firmware", "2026.10.0"),  # reported by ESPHome
    ):
        state = hass.states.get(entity_id)
        # … but an older ESPHome is no update.
        assert state.state == STATE_OFF, entity_id
        assert state.attributes["latest_version"].startswith("2026.6.5+")
        summary = state.attributes["release_summary"]
        assert summary.startswith("Downgrade, not offered"), summary
        assert f"2026.6.5, older than the {running} running" in summary

        with pytest.raises(HomeAssistantError) as err:
            await hass.services.async_call(
                "update", "install", {"entity_id": entity_id}, blocking=True
            )
        assert err.value.translation_domain == DOMAIN
        assert err.value.translation_key == "install_refused_downgrade"
        assert "Downgrade, not offered" in str(err.value)
    # Nothing was queued.
    assert not [j for j in coordinator.data.jobs.values() if j["state"] == "queued"]
    assert hass.states.get("sensor.forge_for_esphome_queue_depth").state == "0"


async def test_revoked_firmware_is_never_up_to_date(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Revoking what runs turns "up to date" into an offered install that says why."""
    update = "update.porch_firmware"
    await _install(hass, update)
    await async_wait_for(
        lambda: hass.states.get("sensor.porch_firmware_trust").state == "verified",
        what="porch verified",
    )
    assert hass.states.get(update).state == STATE_OFF
    installed = hass.states.get(update).attributes["installed_version"]
    digest = hass.states.get("sensor.porch_firmware_trust").attributes["firmware_sha256"]

    await hass.services.async_call(
        DOMAIN, "revoke", {"artifact": digest, "reason": "leaked build"}, blocking=True
    )
    await async_wait_for(lambda: hass.states.get(update).state == STATE_ON, what="offered")
    state = hass.states.get(update)
    assert state.attributes["installed_version"] == f"{installed} (revoked)"
    assert state.attributes["latest_version"] == installed
    assert state.attributes["release_summary"].startswith(
        "Running firmware is revoked; Install replaces it with a fresh build."
    )
    assert "leaked build" in state.attributes["release_summary"]

    # Install is offered and goes to the sidecar (whose trust gate decides what may be flashed).
    jobs = init_integration.runtime_data.coordinator.data.jobs
    before = set(jobs)
    await hass.services.async_call("update", "install", {"entity_id": update}, blocking=True)
    await async_wait_for(lambda: set(jobs) - before, what="the install's job")
    new = [jobs[j] for j in set(jobs) - before]
    assert [(j["deviceId"], j["action"]) for j in new] == [("porch", "compile_upload")]


async def test_stale_trust_is_never_up_to_date(
    hass: HomeAssistant, sidecar: Sidecar, init_integration: MockConfigEntry
) -> None:
    """A revocation list that expires makes the running firmware's trust stale: offered."""
    update = "update.porch_firmware"
    await _install(hass, update)
    await async_wait_for(lambda: hass.states.get(update).state == STATE_OFF, what="up to date")

    now = datetime.now(UTC)
    iso = lambda t: t.isoformat(timespec="milliseconds").replace("+00:00", "Z")  # noqa: E731
    short_lived = {
        "version": 1,
        "issuedAt": iso(now),
        "expiresAt": iso(now + timedelta(seconds=3)),
        "entries": [],
    }
    bundle = await hass.async_add_executor_job(sidecar.sign_revocation_list, short_lived)
    await init_integration.runtime_data.client.request(
        "POST", "/trust/revocations/import", json=bundle
    )
    await async_wait_for(
        lambda: hass.states.get("sensor.porch_firmware_trust").state == "stale", what="stale"
    )
    await async_wait_for(lambda: hass.states.get(update).state == STATE_ON, what="offered")
    state = hass.states.get(update)
    assert state.attributes["installed_version"].endswith(" (stale)")
    summary = state.attributes["release_summary"]
    assert summary.startswith("Running firmware is stale; publish a fresh revocation list first")
    assert "revocation list v1 expired at" in summary
