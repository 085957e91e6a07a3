"""Presence: the update entity's installed version from the firmware the device runs (a real mDNS
advertisement heard by the real sidecar), what HA's ESPHome integration knows fed to the sidecar,
and a connectivity sensor only for nodes ESPHome gives none."""

from __future__ import annotations

from collections.abc import Generator
import secrets
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.esphome_forge.const import (
    DOMAIN,
    EVENT_DEVICE_OFFLINE,
    EVENT_DEVICE_ONLINE,
    EVENT_JOB_FINISHED,
)
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

from .conftest import ADMIN_TOKEN, ENTRY_ID, async_wait_for
from .mdns import LAN_IPV4, FakeEsphomeDevice
from .sidecar import DEVICES, Sidecar

KITCHEN_MAC = "aa:bb:cc:dd:ee:01"
OFFICE_MAC = "aa:bb:cc:dd:ee:03"
# A hostname no other test run on the link advertises.
LAMP = f"lamp-{secrets.token_hex(3)}"
LAMP_YAML = f"""\
esphome:
  name: {LAMP}
  friendly_name: Presence Lamp
esp32:
  board: esp32dev
wifi:
  ssid: forge-test
  password: forge-test-pw
"""


def _node(hass: HomeAssistant, entry: MockConfigEntry, device_id: str) -> dict[str, Any]:
    return entry.runtime_data.coordinator.data.devices[device_id]


def _esphome_device(
    hass: HomeAssistant, mac: str, sw_version: str, *, device_name: str | None = None
) -> tuple[MockConfigEntry, dr.DeviceEntry]:
    """A device HA's ESPHome integration has configured (its entry's unique id is the MAC)."""
    esphome_entry = MockConfigEntry(
        domain="esphome",
        unique_id=mac,
        data={"device_name": device_name} if device_name else {},
    )
    esphome_entry.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=esphome_entry.entry_id,
        connections={(dr.CONNECTION_NETWORK_MAC, mac)},
        name=f"ESPHome {mac[-2:]}",
        sw_version=sw_version,
    )
    return esphome_entry, device


def _esphome_entity(
    hass: HomeAssistant,
    esphome_entry: MockConfigEntry,
    device: dr.DeviceEntry,
    key: str,
    state: str,
    *,
    domain: str = "sensor",
    device_class: str | None = None,
) -> str:
    """An entity of ESPHome's on that device, in the registry and the state machine."""
    entity = er.async_get(hass).async_get_or_create(
        domain,
        "esphome",
        f"{device.id}-{key}",
        config_entry=esphome_entry,
        device_id=device.id,
        original_device_class=device_class,
    )
    hass.states.async_set(entity.entity_id, state)
    return entity.entity_id


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def _our_entity(hass: HomeAssistant, platform: str, device: str, key: str) -> str | None:
    return er.async_get(hass).async_get_entity_id(
        platform, DOMAIN, f"{ENTRY_ID}:device:{device}:{key}"
    )


async def test_esphome_connection_state_and_versions_reach_the_sidecar(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """ESPHome's entities available: online with its versions; unavailable: offline."""
    esphome_entry, device = _esphome_device(hass, KITCHEN_MAC, "1.4.0 (ESPHome 2026.9.1)")
    temperature = _esphome_entity(hass, esphome_entry, device, "temperature", "21.5")
    await _setup(hass, mock_config_entry)

    await async_wait_for(
        lambda: _node(hass, mock_config_entry, "kitchen").get("online") is True,
        what="kitchen online from HA's ESPHome integration",
    )
    kitchen = _node(hass, mock_config_entry, "kitchen")
    assert kitchen["presence"]["source"] == "ha"
    assert kitchen["running"]["source"] == "ha"
    assert kitchen["running"]["esphomeVersion"] == "2026.9.1"
    assert kitchen["running"]["projectVersion"] == "1.4.0"
    assert kitchen["running"]["match"] == "not_flashed"
    # ESPHome has no status sensor for it: ours says it.
    online = _our_entity(hass, "binary_sensor", "kitchen", "connectivity")
    assert online is not None
    await async_wait_for(lambda: hass.states.get(online).state == STATE_ON, what="sensor on")
    assert hass.states.get(online).attributes["source"] == "ha"
    # The update entity's installed version is the running firmware's.
    update = _our_entity(hass, "update", "kitchen", "update")
    assert hass.states.get(update).attributes["installed_version"] == "2026.9.1"

    hass.states.async_set(temperature, STATE_UNAVAILABLE)
    await async_wait_for(
        lambda: _node(hass, mock_config_entry, "kitchen").get("online") is False,
        what="kitchen offline",
    )
    await async_wait_for(lambda: hass.states.get(online).state == STATE_OFF, what="sensor off")
    assert _node(hass, mock_config_entry, "kitchen")["lastSeen"] is not None


async def test_device_offline_and_back_fire_events(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """The sidecar's presence (here fed by HA's ESPHome integration) going offline and back fires HA events."""
    esphome_entry, device = _esphome_device(hass, KITCHEN_MAC, "2026.10.0 (Nov  1 2026, 10:00:00)")
    uptime = _esphome_entity(hass, esphome_entry, device, "uptime", "12")
    online_events = async_capture_events(hass, EVENT_DEVICE_ONLINE)
    offline_events = async_capture_events(hass, EVENT_DEVICE_OFFLINE)
    await _setup(hass, mock_config_entry)
    await async_wait_for(
        lambda: _node(hass, mock_config_entry, "kitchen").get("online") is True,
        what="kitchen online",
    )
    await hass.async_block_till_done()
    assert online_events == []  # the first sighting is no news

    hass.states.async_set(uptime, STATE_UNAVAILABLE)
    await async_wait_for(lambda: len(offline_events) == 1, what="the offline event")
    coordinator = mock_config_entry.runtime_data.coordinator
    assert offline_events[0].data == {
        "config_entry_id": ENTRY_ID,
        "device": "kitchen",
        "device_id": coordinator.ha_device_id("kitchen"),
    }
    hass.states.async_set(uptime, "13")
    await async_wait_for(lambda: len(online_events) == 1, what="the online event")
    assert online_events[0].data["device"] == "kitchen"
    await hass.async_block_till_done()
    assert len(offline_events) == 1


async def test_connectivity_sensor_only_where_esphome_has_none(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """ESPHome's status sensor is the node's connectivity: no second one; it also feeds presence."""
    esphome_entry, device = _esphome_device(hass, KITCHEN_MAC, "2026.10.0 (Nov  1 2026, 10:00:00)")
    status = _esphome_entity(
        hass,
        esphome_entry,
        device,
        "status",
        STATE_ON,
        domain="binary_sensor",
        device_class="connectivity",
    )
    await _setup(hass, mock_config_entry)

    assert _our_entity(hass, "binary_sensor", "kitchen", "connectivity") is None
    for node in ("porch", "office", "garage", "shed"):
        assert _our_entity(hass, "binary_sensor", node, "connectivity") is not None, node
    await async_wait_for(
        lambda: _node(hass, mock_config_entry, "kitchen").get("online") is True,
        what="online from ESPHome's status sensor",
    )
    hass.states.async_set(status, STATE_OFF)
    await async_wait_for(
        lambda: _node(hass, mock_config_entry, "kitchen").get("online") is False,
        what="offline from ESPHome's status sensor",
    )


async def test_esphome_device_found_by_hostname(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A node without a known MAC is linked by the hostname ESPHome's entry records."""
    esphome_entry, device = _esphome_device(
        hass, OFFICE_MAC, "2026.9.1 (Oct  1 2026, 10:00:00)", device_name="office"
    )
    _esphome_entity(hass, esphome_entry, device, "uptime", "12")
    await _setup(hass, mock_config_entry)

    update = er.async_get(hass).async_get(_our_entity(hass, "update", "office", "update"))
    assert update.device_id == device.id
    await async_wait_for(
        lambda: _node(hass, mock_config_entry, "office").get("online") is True,
        what="office online",
    )
    assert _node(hass, mock_config_entry, "office")["presence"]["mac"] == OFFICE_MAC.replace(
        ":", ""
    )


@pytest.fixture
def sidecar_devices() -> dict[str, str]:
    """The usual fleet plus a lamp with a hostname of its own."""
    return {**DEVICES, f"{LAMP}.yaml": LAMP_YAML}


@pytest.fixture
def lan_sidecar(sidecar: Sidecar) -> Generator[Sidecar]:
    """The fixture sidecar restarted to browse mDNS (it listens on loopback: FORGE_PRESENCE=on)."""
    sidecar.stop()
    sidecar.env = {**sidecar.env, "FORGE_PRESENCE": "on"}
    sidecar.start(ADMIN_TOKEN)
    return sidecar


@pytest.mark.skipif(
    not LAN_IPV4, reason="no LAN IPv4 interface: mDNS needs a multicast-capable one"
)
async def test_update_entity_installed_version_from_running_firmware(
    hass: HomeAssistant, lan_sidecar: Sidecar, mock_config_entry: MockConfigEntry
) -> None:
    """Not flashed: what it advertises; after Forge's flash: Forge's build; changed elsewhere: says so."""
    lamp = FakeEsphomeDevice(LAMP, "02aabbccdd77", version="2026.9.1", config_hash="0000aaaa")
    await hass.async_add_executor_job(lamp.start)
    try:
        await _setup(hass, mock_config_entry)
        entity_id = "update.presence_lamp_firmware"
        await async_wait_for(
            lambda: hass.states.get(entity_id).attributes["installed_version"] == "2026.9.1",
            what="the advertised version installed",
        )
        state = hass.states.get(entity_id)
        assert state.state == STATE_ON
        assert "it advertises ESPHome 2026.9.1" in state.attributes["release_summary"]

        # The device is away when Forge installs: the flash waits for it (waiting_for_device) and goes
        # when it is back; the new firmware's advertisement after the flash is what Forge installed.
        await hass.async_add_executor_job(lamp.stop)
        await async_wait_for(
            lambda: _node(hass, mock_config_entry, LAMP).get("online") is False, what="lamp away"
        )
        finished = async_capture_events(hass, EVENT_JOB_FINISHED)
        await hass.services.async_call("update", "install", {"entity_id": entity_id}, blocking=True)
        await async_wait_for(
            lambda: any(
                j["state"] == "waiting_for_device" and j["deviceId"] == LAMP
                for j in mock_config_entry.runtime_data.coordinator.data.jobs.values()
            ),
            what="the flash waits for the lamp",
        )
        assert not finished
        lamp.txt.update(version="2026.10.0", config_hash="0000bbbb")
        await hass.async_add_executor_job(lamp.start)
        await async_wait_for(lambda: bool(finished), what="installed once the lamp is back")
        assert finished[0].data["result"] == "succeeded"
        await hass.async_add_executor_job(lambda: lamp.reboot(version="2026.10.0"))
        await async_wait_for(
            lambda: (
                (_node(hass, mock_config_entry, LAMP).get("running") or {}).get("match")
                == "matches"
            ),
            what="the running firmware matches Forge's flash",
        )
        await hass.async_block_till_done()
        state = hass.states.get(entity_id)
        assert state.state == STATE_OFF
        assert state.attributes["installed_version"] == state.attributes["latest_version"]
        assert state.attributes["installed_version"].startswith("2026.10.0+")

        # Another tool flashes an older release: the entity says what runs and offers Install.
        await hass.async_add_executor_job(lambda: lamp.reboot(version="2026.9.0"))
        await async_wait_for(
            lambda: hass.states.get(entity_id).attributes["installed_version"] == "2026.9.0",
            what="the version installed elsewhere",
        )
        state = hass.states.get(entity_id)
        assert state.state == STATE_ON
        assert state.attributes["release_summary"].startswith("Changed outside Forge")
        trust = _node(hass, mock_config_entry, LAMP)["trust"]["running"]
        assert trust["state"] == "unknown"
    finally:
        await hass.async_add_executor_job(lamp.stop)
