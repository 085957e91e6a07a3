"""Diagnostics (redaction) and system health."""

from __future__ import annotations

import asyncio
import json

from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    get_system_health_info,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.esphome_forge.const import DOMAIN, EVENT_JOB_FINISHED
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from .conftest import async_wait_for
from .sidecar import Sidecar

REDACTED = "**REDACTED**"


async def test_diagnostics_redacted(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sidecar: Sidecar,
    init_integration: MockConfigEntry,
) -> None:
    """Token, URL, MACs, addresses and host names never leave in diagnostics."""
    assert await async_setup_component(hass, "diagnostics", {})
    diag = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)

    assert diag["entry"]["data"] == {"url": REDACTED, "token": REDACTED}
    assert diag["info"]["configDir"] == REDACTED
    kitchen = next(d for d in diag["devices"] if d["id"] == "kitchen")
    assert kitchen["mac"] == REDACTED
    assert kitchen["address"] == REDACTED
    assert all(w["system"]["hostname"] == REDACTED for w in diag["workers"] if w["system"])
    assert diag["connection"]["connected"] is True
    assert diag["card_url"].startswith("/esphome_forge_static/esphome-forge-card.js?v=")

    text = json.dumps(diag)
    for secret in (sidecar.token, "AA:BB:CC:DD:EE:01", "aa:bb:cc:dd:ee:01", "kitchen.local"):
        assert secret not in text
    assert f"127.0.0.1:{sidecar.port}" not in text

    # A second sidecar's title carries its host (the names of its devices too): scrubbed.
    hass.config_entries.async_update_entry(init_integration, title="Forge for ESPHome (127.0.0.1)")
    diag = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    assert diag["entry"]["title"] == f"Forge for ESPHome ({REDACTED})"
    assert "127.0.0.1" not in json.dumps(diag)


async def test_diagnostics_scrub_addresses_in_free_text(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sidecar: Sidecar,
    init_integration: MockConfigEntry,
) -> None:
    """A failed OTA names the device's address in the job's error: scrubbed there too."""
    (sidecar.config_dir / "gate.yaml").write_text(
        "# standin: fail-at=upload\n"
        "# esphome-forge:\n"
        "#   tags: [gate]\n"
        "#   address: gate-7f3a.example.lan\n"
        '#   mac: "AA:BB:CC:DD:EE:77"\n'
        "esphome:\n  name: gate\nesp32:\n  board: esp32dev\n"
    )
    await async_wait_for(lambda: hass.states.get("update.gate_firmware") is not None, what="gate")
    finished = async_capture_events(hass, EVENT_JOB_FINISHED)
    await hass.services.async_call(DOMAIN, "compile", {"tag": ["gate"]}, blocking=True)
    await async_wait_for(lambda: bool(finished), what="gate's upload failed")
    assert finished[0].data["result"] == "failed"
    job = init_integration.runtime_data.coordinator.data.jobs[finished[0].data["job_id"]]
    assert "gate-7f3a.example.lan" in job["error"]  # what the sidecar reports…

    assert await async_setup_component(hass, "diagnostics", {})
    diag = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    text = json.dumps(diag)
    for secret in (
        "gate-7f3a.example.lan",
        "AA:BB:CC:DD:EE:77",
        "aa:bb:cc:dd:ee:77",
        sidecar.token,
    ):
        assert secret not in text  # …never leaves in diagnostics
    gate_job = next(j for j in diag["jobs"] if j["id"] == job["id"])
    assert REDACTED in gate_job["error"]


async def test_system_health(
    hass: HomeAssistant, sidecar: Sidecar, init_integration: MockConfigEntry
) -> None:
    """Reachability, stream state and counters."""
    assert await async_setup_component(hass, "system_health", {})
    await hass.async_block_till_done()
    info = await get_system_health_info(hass, DOMAIN)
    for key, value in info.items():
        if asyncio.iscoroutine(value):
            info[key] = await value
    assert info["can_reach_sidecar"] == "ok"
    assert info["events_connected"] is True
    assert info["sidecar_version"]
    assert info["api_version"] == 1
    assert info["devices"] == 5
    assert info["workers_online"] == 1
    assert info["queue_depth"] == 0
