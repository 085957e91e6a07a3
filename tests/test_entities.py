"""Entities: snapshots of states and attributes, device linking, dynamic and stale nodes, worker
controls."""

from __future__ import annotations

import re
from typing import Any
from unittest.mock import patch

from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from syrupy.assertion import SnapshotAssertion

from custom_components.esphome_forge.const import DOMAIN, EVENT_JOB_FINISHED
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

from .conftest import ENTRY_ID, async_wait_for
from .sidecar import Sidecar

ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$")
# Per run (durations), or owned by the sidecar and its ESPHome stand-in (error wording, release,
# firmware bytes): the snapshot is about what the integration makes of them.
# Commit ids of the config folder's history include their time.
VOLATILE = {
    "duration",
    "last_error",
    "sw_version",
    "firmware_sha256",
    "commit",
    "built_from_commit",
}
# Signing keys are made per run: their hints (e.g. "sidecar key gQsZrPpdLs…") differ every time.
KEY_HINT_RE = re.compile(r"\bkey [A-Za-z0-9+/=_-]{6,}…")


def _normalise(value: Any, worker_id: str) -> Any:
    """Replace what differs between runs: the worker's random id, timestamps, durations."""
    if isinstance(value, dict):
        return {
            k: f"<{k}>" if k in VOLATILE and v is not None else _normalise(v, worker_id)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_normalise(v, worker_id) for v in value]
    if isinstance(value, str):
        if ISO_RE.match(value):
            return "<timestamp>"
        return KEY_HINT_RE.sub("key <hint>…", value.replace(worker_id, "<worker>"))
    if hasattr(value, "value") and not isinstance(value, (int, float)):  # enums
        return _normalise(value.value, worker_id)
    return value


def _fleet_snapshot(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Every entity of the entry: registry facts, state and attributes; plus the devices."""
    worker_id = next(iter(entry.runtime_data.coordinator.data.workers))
    ent_reg = er.async_get(hass)
    dev_reg = dr.async_get(hass)
    entities: dict[str, Any] = {}
    for entity in sorted(
        er.async_entries_for_config_entry(ent_reg, entry.entry_id), key=lambda e: e.entity_id
    ):
        state = hass.states.get(entity.entity_id)
        device = dev_reg.async_get(entity.device_id) if entity.device_id else None
        entities[entity.entity_id] = _normalise(
            {
                "unique_id": entity.unique_id,
                "translation_key": entity.translation_key,
                "entity_category": entity.entity_category,
                "device_class": entity.original_device_class,
                "device": device.name if device else None,
                "state": state.state if state else None,
                "attributes": dict(state.attributes) if state else None,
            },
            worker_id,
        )
    devices: dict[str, Any] = {}
    for device in sorted(
        dr.async_entries_for_config_entry(dev_reg, entry.entry_id), key=lambda d: d.name or ""
    ):
        via = dev_reg.async_get(device.via_device_id) if device.via_device_id else None
        devices[device.name or "?"] = _normalise(
            {
                "identifiers": sorted(list(i) for i in device.identifiers),
                "connections": sorted(list(c) for c in device.connections),
                "manufacturer": device.manufacturer,
                "model": device.model,
                "sw_version": device.sw_version,
                "hw_version": None,  # the worker's OS differs per machine
                "entry_type": device.entry_type,
                "via_device": via.name if via else None,
                "configuration_url": "<url>" if device.configuration_url else None,
            },
            worker_id,
        )
    return {"entities": entities, "devices": devices}


async def test_snapshot_initial(
    hass: HomeAssistant, init_integration: MockConfigEntry, snapshot: SnapshotAssertion
) -> None:
    """States and attributes of a fresh fleet (nothing built yet)."""
    # The local worker reports its ESPHome version once its probe answers, just after it connects.
    await async_wait_for(
        lambda: hass.states.get(
            "binary_sensor.forge_for_esphome_local_worker_online"
        ).attributes.get("esphome_versions"),
        what="the local worker's ESPHome version",
    )
    await hass.async_block_till_done()
    assert _fleet_snapshot(hass, init_integration) == snapshot


async def test_snapshot_after_builds(
    hass: HomeAssistant, init_integration: MockConfigEntry, snapshot: SnapshotAssertion
) -> None:
    """After a successful flash (porch) and a failed compile (shed)."""
    finished = async_capture_events(hass, EVENT_JOB_FINISHED)
    await hass.services.async_call(DOMAIN, "compile", {"tag": ["outdoor"]}, blocking=True)
    await async_wait_for(lambda: len(finished) == 1, what="porch flashed")
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.shed_compile"}, blocking=True
    )
    await async_wait_for(lambda: len(finished) == 2, what="shed failed")
    await async_wait_for(
        lambda: (
            hass.states.get("sensor.shed_build_status").state == "failed"
            and hass.states.get("sensor.forge_for_esphome_local_worker_active_jobs").state == "0"
        ),
        what="settled",
    )
    await hass.async_block_till_done()
    assert _fleet_snapshot(hass, init_integration) == snapshot


async def test_trust_verified_after_compile_upload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A compile_upload through the local worker leaves the node's running firmware `verified`:
    the worker signed its build, the sidecar approved it, and the flash was recorded."""
    trust = "sensor.porch_firmware_trust"
    before = hass.states.get(trust)
    assert before.state == "not_checked"
    assert before.attributes["signer"] is None
    assert before.attributes["build_sequence"] is None
    finished = async_capture_events(hass, EVENT_JOB_FINISHED)
    response = await hass.services.async_call(
        DOMAIN, "compile", {"tag": ["outdoor"]}, blocking=True, return_response=True
    )
    job_id = response["jobs"][0]["job_id"]
    await async_wait_for(lambda: len(finished) == 1, what="porch flashed")
    assert finished[0].data["action"] == "compile_upload"
    assert finished[0].data["result"] == "succeeded"
    # The verdict arrives over the events stream (no polling) once the flash is recorded.
    await async_wait_for(lambda: hass.states.get(trust).state == "verified", what="verified")
    state = hass.states.get(trust)
    assert state.attributes["signer"].startswith("sidecar key ")
    assert state.attributes["build_sequence"] == 1
    assert ISO_RE.match(state.attributes["checked_at"])
    assert state.attributes["firmware_sha256"] == finished[0].data["firmware_sha256"]
    assert "build #1 for porch" in state.attributes["reason"]
    assert hass.states.get("sensor.porch_build_status").attributes["job_id"] == job_id
    hub = hass.states.get("sensor.forge_for_esphome_devices_not_verified")
    assert hub.state == "4"
    assert "porch" not in hub.attributes["devices"]


async def _esphome_device(hass: HomeAssistant) -> tuple[MockConfigEntry, dr.DeviceEntry]:
    """The ESPHome integration's entry and device for the kitchen node (MAC AA:BB:…:01)."""
    esphome_entry = MockConfigEntry(domain="esphome", unique_id="aa:bb:cc:dd:ee:01")
    esphome_entry.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=esphome_entry.entry_id,
        connections={(dr.CONNECTION_NETWORK_MAC, "aa:bb:cc:dd:ee:01")},
        identifiers={("esphome", "kitchen")},
        name="Kitchen (ESPHome)",
        manufacturer="Espressif",
        sw_version="2026.9.1 (Oct 1 2026, 10:00:00)",
    )
    return esphome_entry, device


async def test_linked_to_esphome_device_before_2026_8(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """HA < 2026.8 (the pinned 2026.2): the MAC connection merges us into ESPHome's device."""
    esphome_entry, device = await _esphome_device(hass)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    ent_reg = er.async_get(hass)
    kitchen_id = ent_reg.async_get_entity_id("update", DOMAIN, f"{ENTRY_ID}:device:kitchen:update")
    kitchen = ent_reg.async_get(kitchen_id)
    assert kitchen.device_id == device.id
    device = dr.async_get(hass).async_get(device.id)
    assert device.config_entries == {esphome_entry.entry_id, mock_config_entry.entry_id}
    assert device.name == "Kitchen (ESPHome)"
    # What ESPHome reports running stands in until Forge has flashed the node.
    update = hass.states.get(kitchen_id)
    assert update.attributes["installed_version"] == "2026.9.1"
    assert update.state == STATE_ON
    # Nodes ESPHome does not know get a device of our own.
    porch = ent_reg.async_get("update.porch_firmware")
    own = dr.async_get(hass).async_get(porch.device_id)
    assert own.config_entries == {mock_config_entry.entry_id}
    assert (DOMAIN, f"{ENTRY_ID}:device:porch") in own.identifiers


async def test_linked_to_esphome_device_from_2026_8(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """HA ≥ 2026.8 branch: `device_entry` links to ESPHome's device without claiming it."""
    esphome_entry, device = await _esphome_device(hass)
    mock_config_entry.add_to_hass(hass)
    with (
        patch("custom_components.esphome_forge.entity.MAJOR_VERSION", 2026),
        patch("custom_components.esphome_forge.entity.MINOR_VERSION", 8),
    ):
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()

    ent_reg = er.async_get(hass)
    kitchen_id = ent_reg.async_get_entity_id("update", DOMAIN, f"{ENTRY_ID}:device:kitchen:update")
    kitchen = ent_reg.async_get(kitchen_id)
    assert kitchen.device_id == device.id
    assert kitchen.config_entry_id == mock_config_entry.entry_id
    device = dr.async_get(hass).async_get(device.id)
    # The device stays ESPHome's alone.
    assert device.config_entries == {esphome_entry.entry_id}


async def test_dynamic_and_stale_nodes(
    hass: HomeAssistant, sidecar: Sidecar, init_integration: MockConfigEntry
) -> None:
    """A new YAML adds a node's entities; a deleted one removes them and our device."""
    ent_reg = er.async_get(hass)
    (sidecar.config_dir / "cellar.yaml").write_text(
        "esphome:\n  name: cellar\n  friendly_name: Cellar\nesp32:\n  board: esp32dev\n"
    )
    await async_wait_for(
        lambda: hass.states.get("update.cellar_firmware") is not None, what="cellar entities"
    )
    await hass.async_block_till_done()
    cellar_device = ent_reg.async_get("update.cellar_firmware").device_id
    assert dr.async_get(hass).async_get(cellar_device).name == "Cellar"

    (sidecar.config_dir / "cellar.yaml").unlink()
    await async_wait_for(
        lambda: ent_reg.async_get("update.cellar_firmware") is None, what="cellar removed"
    )
    await hass.async_block_till_done()
    assert hass.states.get("update.cellar_firmware") is None
    assert dr.async_get(hass).async_get(cellar_device) is None
    # The rest of the fleet is untouched.
    assert hass.states.get("update.kitchen_firmware") is not None


async def test_worker_controls(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Slots number patches the worker; clean-cache reaches it; hub counters follow."""
    slots = "number.forge_for_esphome_local_worker_build_slots"
    await hass.services.async_call(
        "number", "set_value", {"entity_id": slots, "value": 2}, blocking=True
    )
    assert hass.states.get(slots).state == "2"
    await async_wait_for(
        lambda: hass.states.get("sensor.forge_for_esphome_total_build_slots").state == "2",
        what="total slots",
    )
    await hass.services.async_call(
        "button",
        "press",
        {"entity_id": "button.forge_for_esphome_local_worker_clean_build_cache"},
        blocking=True,
    )
    assert hass.states.get("binary_sensor.forge_for_esphome_local_worker_online").state == STATE_ON
    assert hass.states.get("sensor.forge_for_esphome_workers_online").state == "1"
    assert hass.states.get("sensor.forge_for_esphome_devices_not_verified").state == "5"
    # Paused worker: 0 slots.
    await hass.services.async_call(
        "number", "set_value", {"entity_id": slots, "value": 0}, blocking=True
    )
    await async_wait_for(
        lambda: hass.states.get("sensor.forge_for_esphome_total_build_slots").state == "0",
        what="paused",
    )
    assert hass.states.get("binary_sensor.forge_for_esphome_local_worker_online").state != STATE_OFF


async def test_mac_learned_later_relinks(
    hass: HomeAssistant, sidecar: Sidecar, init_integration: MockConfigEntry
) -> None:
    """A node whose MAC becomes known moves onto the ESPHome device that has that MAC."""
    esphome_entry = MockConfigEntry(domain="esphome", unique_id="aa:bb:cc:dd:ee:02")
    esphome_entry.add_to_hass(hass)
    esphome_device = dr.async_get(hass).async_get_or_create(
        config_entry_id=esphome_entry.entry_id,
        connections={(dr.CONNECTION_NETWORK_MAC, "aa:bb:cc:dd:ee:02")},
        name="Porch (ESPHome)",
    )
    ent_reg = er.async_get(hass)
    unique_id = f"{ENTRY_ID}:device:porch:update"
    entity_id = ent_reg.async_get_entity_id("update", DOMAIN, unique_id)
    own_device = ent_reg.async_get(entity_id).device_id
    assert own_device != esphome_device.id

    porch = sidecar.config_dir / "porch.yaml"
    porch.write_text(
        porch.read_text().replace(
            "#   tags: [outdoor]", '#   tags: [outdoor]\n#   mac: "AA:BB:CC:DD:EE:02"'
        )
    )
    await async_wait_for(
        lambda: (
            (e := ent_reg.async_get(ent_reg.async_get_entity_id("update", DOMAIN, unique_id) or ""))
            is not None
            and e.device_id == esphome_device.id
        ),
        what="porch linked to its ESPHome device",
    )
    await hass.async_block_till_done()
    assert init_integration.state.name == "LOADED"
    # Our own "Porch" device, now without entities, is gone.
    assert dr.async_get(hass).async_get(own_device) is None


async def test_remove_device_only_when_gone(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Users may delete a device only once the sidecar no longer reports its node or worker."""
    from custom_components.esphome_forge import async_remove_config_entry_device

    dev_reg = dr.async_get(hass)
    ent_reg = er.async_get(hass)
    kitchen = dev_reg.async_get(ent_reg.async_get("update.kitchen_firmware").device_id)
    worker = dev_reg.async_get(
        ent_reg.async_get("number.forge_for_esphome_local_worker_build_slots").device_id
    )
    hub = dev_reg.async_get_device(identifiers={(DOMAIN, ENTRY_ID)})
    for device in (kitchen, worker, hub):
        assert not await async_remove_config_entry_device(hass, init_integration, device)
    gone = dev_reg.async_get_or_create(
        config_entry_id=init_integration.entry_id,
        identifiers={(DOMAIN, f"{ENTRY_ID}:device:long-gone")},
        name="Long gone",
    )
    assert await async_remove_config_entry_device(hass, init_integration, gone)
