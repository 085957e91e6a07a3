"""What Home Assistant's ESPHome integration knows about a Forge node.

Read through HA's public registries and states only: the node's ESPHome device (by MAC, else by the
hostname ESPHome's config entry records), whether ESPHome already gives it a connectivity binary
sensor (its `status` sensor), whether HA is connected to it, and the versions in its `sw_version`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.const import STATE_ON, STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import CONNECTION_NETWORK_MAC, format_mac

ESPHOME_DOMAIN = "esphome"
# The key ESPHome's config entries keep the device's hostname (`esphome.name`) under.
CONF_DEVICE_NAME = "device_name"


def node_mac(node: dict[str, Any]) -> str | None:
    """The node's MAC: its config's (metadata block), else the one it advertises over mDNS."""
    mac = node.get("mac") or (node.get("presence") or {}).get("mac")
    return format_mac(mac) if mac else None


def _by_mac(hass: HomeAssistant, mac: str, single_owner: bool) -> dr.DeviceEntry | None:
    esphome_entry = hass.config_entries.async_entry_for_domain_unique_id(ESPHOME_DOMAIN, mac)
    if esphome_entry is None:
        return None
    dev_reg = dr.async_get(hass)
    connection = (CONNECTION_NETWORK_MAC, mac)
    by_connection = getattr(dev_reg, "async_get_device_by_connection", None)
    if single_owner and by_connection is not None:
        return by_connection(connection, esphome_entry.entry_id)
    device = dev_reg.async_get_device(connections={connection})
    if device is None or esphome_entry.entry_id not in device.config_entries:
        return None
    return device


def find_esphome_device(
    hass: HomeAssistant, mac: str | None, name: str | None, *, single_owner: bool
) -> dr.DeviceEntry | None:
    """The ESPHome integration's device for this node: by MAC, else by its one entry of that hostname.

    `single_owner`: HA ≥ 2026.8, where a device belongs to one config entry (entity.py decides).
    """
    if mac:
        return _by_mac(hass, format_mac(mac), single_owner)
    if not name:
        return None
    entries = [
        e
        for e in hass.config_entries.async_entries(ESPHOME_DOMAIN)
        if str(e.data.get(CONF_DEVICE_NAME, "")).lower() == name.lower() and e.unique_id
    ]
    if len(entries) != 1:
        return None
    return _by_mac(hass, format_mac(entries[0].unique_id), single_owner)


def _esphome_entities(hass: HomeAssistant, device_id: str) -> list[er.RegistryEntry]:
    return [
        e
        for e in er.async_entries_for_device(er.async_get(hass), device_id)
        if e.platform == ESPHOME_DOMAIN
    ]


def connectivity_entity_id(hass: HomeAssistant, device_id: str) -> str | None:
    """ESPHome's own connectivity binary sensor for the device (its `status` sensor), if any."""
    for e in _esphome_entities(hass, device_id):
        device_class = e.device_class or e.original_device_class
        if (
            e.domain == Platform.BINARY_SENSOR
            and device_class == BinarySensorDeviceClass.CONNECTIVITY
        ):
            return e.entity_id
    return None


def connection_state(hass: HomeAssistant, device_id: str) -> tuple[bool | None, datetime | None]:
    """Whether HA is connected to the device, and when that last changed (None: cannot tell).

    ESPHome's status sensor says it directly; otherwise the device's entities turn `unavailable`
    while HA is disconnected.
    """
    status = connectivity_entity_id(hass, device_id)
    state = hass.states.get(status) if status else None
    if state is not None and state.state != STATE_UNAVAILABLE:
        return state.state == STATE_ON, state.last_changed
    states = [
        s
        for e in _esphome_entities(hass, device_id)
        if (s := hass.states.get(e.entity_id)) is not None
    ]
    if not states:
        return None, None
    connected = any(s.state != STATE_UNAVAILABLE for s in states)
    return connected, max(s.last_changed for s in states)


def esphome_entity_ids(hass: HomeAssistant, device_id: str) -> list[str]:
    """The device's ESPHome entities (their state changes move the connection state)."""
    return [e.entity_id for e in _esphome_entities(hass, device_id)]
