"""Forge for ESPHome: distributed ESPHome builds, their state and their actions in Home Assistant."""

from __future__ import annotations

from typing import Any

import aiohttp

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .api import ForgeAuthError, ForgeClient, ForgeError, ForgeIncompatibleError
from .const import CONF_TOKEN, CONF_URL, DOMAIN, FIRST_SNAPSHOT_TIMEOUT
from .coordinator import ForgeConfigEntry, ForgeCoordinator, ForgeRuntimeData
from .entity import esphome_device_of, hub_device_info, parse_unique_id
from .esphome_device import node_mac
from .frontend import async_setup_frontend
from .naming import default_title, legacy_title
from .presence_feed import PresenceFeed
from .services import async_setup_services
from .trust_status import TrustStatusWatcher
from .websocket import async_setup_websocket
from .websocket_schedules import async_setup_schedule_websocket
from .workspace_issue import issue_id as workspace_issue_id

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.NUMBER,
    Platform.SENSOR,
    Platform.UPDATE,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Once per HA run: services, the card's WebSocket commands and the card itself."""
    async_setup_services(hass)
    async_setup_websocket(hass)
    async_setup_schedule_websocket(hass)
    await async_setup_frontend(hass)
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: ForgeConfigEntry) -> bool:
    """1.1 → 1.2: an entry still titled "Forge for ESPHome (host:port)" gets the short title.

    Only names change: the hub and worker devices are named after the title, their entities keep
    their unique ids and entity ids (HA offers to rename entity ids when a device is renamed).
    """
    if entry.version > 1:
        return False
    if entry.minor_version < 2:
        title = entry.title
        if title == legacy_title(entry.data[CONF_URL]):
            taken = {
                other.title
                for other in hass.config_entries.async_entries(DOMAIN)
                if other.entry_id != entry.entry_id
            }
            title = default_title(taken, entry.data[CONF_URL])
        hass.config_entries.async_update_entry(entry, title=title, minor_version=2)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ForgeConfigEntry) -> bool:
    """Connect to the sidecar, wait for its first snapshot, then add the entities."""
    client = ForgeClient(
        async_get_clientsession(hass), entry.data[CONF_URL], entry.data[CONF_TOKEN]
    )
    placeholders = {"url": client.url}
    try:
        info = await client.info()
    except ForgeAuthError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="invalid_auth"
        ) from err
    except ForgeIncompatibleError as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="incompatible",
            translation_placeholders={**placeholders, "error": str(err)},
        ) from err
    except ForgeError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        ) from err

    coordinator = ForgeCoordinator(hass, entry, client)
    trust = TrustStatusWatcher(hass, entry, client)
    entry.runtime_data = ForgeRuntimeData(
        client=client, coordinator=coordinator, trust=trust, info=info
    )
    try:
        await coordinator.async_start(FIRST_SNAPSHOT_TIMEOUT)
    except ForgeAuthError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="invalid_auth"
        ) from err
    except (ForgeError, ConnectionError, TimeoutError, OSError, aiohttp.ClientError) as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err) or type(err).__name__},
        ) from err

    # The hub device first: node and worker devices name it as their `via_device`.
    dr.async_get(hass).async_get_or_create(config_entry_id=entry.entry_id, **hub_device_info(entry))
    entry.async_on_unload(coordinator.async_add_listener(lambda: _remove_stale(hass, entry)))
    links = {node_id: _link_key(hass, node) for node_id, node in coordinator.data.devices.items()}
    entry.async_on_unload(
        coordinator.async_add_listener(lambda: _relink_on_new_mac(hass, entry, links))
    )
    # Trust status: now, then after each fresh snapshot and each device trust change.
    entry.async_on_unload(trust.async_shutdown)
    entry.async_on_unload(
        lambda: ir.async_delete_issue(hass, DOMAIN, workspace_issue_id(entry.entry_id))
    )
    entry.async_on_unload(coordinator.async_add_relay(trust.handle_event))
    await trust.async_refresh()
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    _remove_orphan_devices(hass, entry)
    # What HA's ESPHome integration knows about each node goes to the sidecar (presence).
    feed = PresenceFeed(hass, entry)
    feed.async_start()
    entry.async_on_unload(feed.async_stop)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ForgeConfigEntry) -> bool:
    """Unload the platforms and stop listening to the sidecar."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.coordinator.async_stop()
    return unloaded


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: ForgeConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Allow removing a device only once the sidecar no longer knows its node or worker."""
    data = entry.runtime_data.coordinator.data
    for domain, identifier in device.identifiers:
        if domain != DOMAIN:
            continue
        if identifier == entry.entry_id:
            return False
        parts = identifier.split(":")
        if len(parts) == 3 and parts[1] == "device" and parts[2] in data.devices:
            return False
        if len(parts) == 3 and parts[1] == "worker" and parts[2] in data.workers:
            return False
    ent_reg = er.async_get(hass)
    for entity in er.async_entries_for_device(ent_reg, device.id, include_disabled_entities=True):
        if entity.config_entry_id == entry.entry_id and (
            parsed := parse_unique_id(entity.unique_id)
        ):
            kind, ident, _ = parsed
            if (kind == "device" and ident in data.devices) or (
                kind == "worker" and ident in data.workers
            ):
                return False
    return True


@callback
def _remove_stale(hass: HomeAssistant, entry: ForgeConfigEntry) -> None:
    """Remove entities (and our claim on devices) of nodes and workers the sidecar dropped."""
    coordinator = entry.runtime_data.coordinator
    if not coordinator.connected:
        return
    data = coordinator.data
    ent_reg = er.async_get(hass)
    touched: set[str] = set()
    for entity in er.async_entries_for_config_entry(ent_reg, entry.entry_id):
        if (parsed := parse_unique_id(entity.unique_id)) is None:
            continue
        kind, ident, _ = parsed
        if (kind == "device" and ident not in data.devices) or (
            kind == "worker" and ident not in data.workers
        ):
            if entity.device_id:
                touched.add(entity.device_id)
            ent_reg.async_remove(entity.entity_id)
            if kind == "device":
                coordinator.ha_devices.pop(ident, None)
    dev_reg = dr.async_get(hass)
    for device_id in touched:
        device = dev_reg.async_get(device_id)
        if device is None or entry.entry_id not in getattr(device, "config_entries", ()):
            continue
        if not any(
            e.config_entry_id == entry.entry_id
            for e in er.async_entries_for_device(ent_reg, device_id, include_disabled_entities=True)
        ):
            dev_reg.async_update_device(device_id, remove_config_entry_id=entry.entry_id)


def _link_key(hass: HomeAssistant, node: dict[str, Any]) -> tuple[str | None, str | None]:
    """The node's MAC and the ESPHome device it links to (what its entities' device depends on)."""
    device = esphome_device_of(hass, node)
    return node_mac(node), device.id if device is not None else None


@callback
def _relink_on_new_mac(
    hass: HomeAssistant,
    entry: ForgeConfigEntry,
    links: dict[str, tuple[str | None, str | None]],
) -> None:
    """A node's MAC became known or changed (config, or mDNS): reload if that moves its entities.

    Only a change of the ESPHome device the node links to needs the reload; a MAC learned for a
    node already linked by hostname, or one ESPHome does not know, does not.
    """
    for node_id, node in entry.runtime_data.coordinator.data.devices.items():
        mac = node_mac(node)
        known = links.get(node_id)
        if known is not None and known[0] == mac:
            continue
        links[node_id] = key = _link_key(hass, node)
        if known is not None and known[1] != key[1]:
            links.clear()
            hass.config_entries.async_schedule_reload(entry.entry_id)
            return


@callback
def _remove_orphan_devices(hass: HomeAssistant, entry: ForgeConfigEntry) -> None:
    """Drop our own node devices left without entities (their node now sits on ESPHome's)."""
    dev_reg = dr.async_get(hass)
    ent_reg = er.async_get(hass)
    for device in dr.async_entries_for_config_entry(dev_reg, entry.entry_id):
        ours = [i for d, i in device.identifiers if d == DOMAIN]
        if not any(i.startswith(f"{entry.entry_id}:device:") for i in ours):
            continue
        if not er.async_entries_for_device(ent_reg, device.id, include_disabled_entities=True):
            dev_reg.async_update_device(device.id, remove_config_entry_id=entry.entry_id)
