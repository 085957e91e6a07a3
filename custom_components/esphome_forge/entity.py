"""Base entities and device linking for Forge for ESPHome.

Three kinds of HA devices carry our entities:
- the hub (one per config entry: the sidecar itself),
- one per build worker (via the hub),
- one per ESPHome node. When the ESPHome integration knows the node (matched by MAC, the config's or
  the one it advertises, else by hostname; see esphome_device.py) our entities
  go on *its* device page. Until HA 2026.8 that works by giving our entities a `DeviceInfo` with
  the node's MAC connection, which merges us into ESPHome's device. From 2026.8 devices belong to
  exactly one config entry, so a MAC connection would create a second device; there we set
  `device_entry` to ESPHome's device instead (the documented pattern for linking to a device of
  another integration). Nodes ESPHome does not know get a device of our own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.const import MAJOR_VERSION, MINOR_VERSION
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import CONNECTION_NETWORK_MAC, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from . import permissions
from .const import DOMAIN, PRODUCT_NAME, SINGLE_OWNER_DEVICES_SINCE
from .coordinator import ForgeConfigEntry, ForgeCoordinator
from .esphome_device import find_esphome_device, node_mac
from .naming import worker_device_name


def single_owner_devices() -> bool:
    """True on HA 2026.8 and later, where every device belongs to one config entry."""
    return (MAJOR_VERSION, MINOR_VERSION) >= SINGLE_OWNER_DEVICES_SINCE


def esphome_device_of(hass: HomeAssistant, node: dict[str, Any]) -> dr.DeviceEntry | None:
    """The ESPHome integration's device for a node, if ESPHome has it configured."""
    return find_esphome_device(
        hass, node_mac(node), node.get("name"), single_owner=single_owner_devices()
    )


def hub_identifier(entry: ForgeConfigEntry) -> tuple[str, str]:
    """Identifier of the hub device."""
    return (DOMAIN, entry.entry_id)


def hub_device_info(entry: ForgeConfigEntry) -> DeviceInfo:
    """The hub device: the sidecar itself."""
    return DeviceInfo(
        identifiers={hub_identifier(entry)},
        name=entry.title,
        manufacturer=PRODUCT_NAME,
        model="Build sidecar",
        sw_version=entry.runtime_data.info.get("version"),
        configuration_url=entry.runtime_data.client.url,
        entry_type=dr.DeviceEntryType.SERVICE,
    )


def node_unique_id(entry: ForgeConfigEntry, device_id: str, key: str) -> str:
    """unique_id of a per-node entity. ':' never occurs in a device id (a file stem)."""
    return f"{entry.entry_id}:device:{device_id}:{key}"


def worker_unique_id(entry: ForgeConfigEntry, worker_id: str, key: str) -> str:
    """unique_id of a per-worker entity."""
    return f"{entry.entry_id}:worker:{worker_id}:{key}"


def parse_unique_id(unique_id: str) -> tuple[str, str, str] | None:
    """(kind, id, key) of a per-node or per-worker unique_id; None for hub entities."""
    parts = unique_id.split(":")
    if len(parts) != 4 or parts[1] not in ("device", "worker"):
        return None
    return parts[1], parts[2], parts[3]


class ForgeEntity(CoordinatorEntity[ForgeCoordinator]):
    """Base of every Forge entity."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: ForgeCoordinator, description: EntityDescription) -> None:
        """Set the description; subclasses set unique_id and the device."""
        super().__init__(coordinator)
        self.entity_description = description

    @property
    def entry(self) -> ForgeConfigEntry:
        """The config entry."""
        return self.coordinator.config_entry

    async def async_require_admin(self, service: str) -> None:
        """Refuse an admin-only entity action (e.g. `update.install`) to other users.

        HA sets the caller's context on the entity right before it runs the action; it is read
        before anything is awaited, so a concurrent call cannot swap it.
        """
        await permissions.async_require_admin(
            self.hass, self._context, f"{service} ({self.entity_id})"
        )


class ForgeHubEntity(ForgeEntity):
    """An entity of the sidecar itself."""

    def __init__(self, coordinator: ForgeCoordinator, description: EntityDescription) -> None:
        """Attach to the hub device."""
        super().__init__(coordinator, description)
        entry = coordinator.config_entry
        self._attr_unique_id = f"{entry.entry_id}:hub:{description.key}"
        self._attr_device_info = hub_device_info(entry)


class ForgeNodeEntity(ForgeEntity):
    """An entity of one ESPHome node (a device config in the sidecar's folder)."""

    def __init__(
        self,
        coordinator: ForgeCoordinator,
        description: EntityDescription,
        device_id: str,
    ) -> None:
        """Link to ESPHome's device for the node, or to one of our own."""
        super().__init__(coordinator, description)
        self.device_id = device_id
        entry = coordinator.config_entry
        self._attr_unique_id = node_unique_id(entry, device_id, description.key)
        node = coordinator.data.devices[device_id]
        mac = node_mac(node)
        esphome_device = esphome_device_of(coordinator.hass, node)
        if esphome_device is not None and mac is None:  # found by hostname: ESPHome knows the MAC
            mac = next(
                (v for k, v in esphome_device.connections if k == CONNECTION_NETWORK_MAC), None
            )
        self.esphome_device_id = esphome_device.id if esphome_device is not None else None
        if esphome_device is not None and single_owner_devices():
            # HA ≥ 2026.8: show our entities on ESPHome's device without claiming it.
            self.device_entry = esphome_device
        elif esphome_device is not None and mac is not None:
            # HA < 2026.8: a MAC connection merges our entry into ESPHome's device.
            self._attr_device_info = DeviceInfo(connections={(CONNECTION_NETWORK_MAC, mac)})
        else:
            self._attr_device_info = DeviceInfo(
                identifiers={(DOMAIN, f"{entry.entry_id}:device:{device_id}")},
                connections={(CONNECTION_NETWORK_MAC, mac)} if mac else set(),
                name=node.get("friendlyName") or node.get("name") or device_id,
                manufacturer="ESPHome",
                model=" · ".join(p for p in (node.get("platform"), node.get("board")) if p) or None,
                via_device=hub_identifier(entry),
            )

    @property
    def node(self) -> dict[str, Any]:
        """The sidecar's Device object."""
        return self.coordinator.data.devices[self.device_id]

    @property
    def available(self) -> bool:
        """Unavailable while the sidecar is unreachable or the node is gone."""
        return super().available and self.device_id in self.coordinator.data.devices

    async def async_added_to_hass(self) -> None:
        """Remember which HA device the node's entities sit on (for events and services)."""
        await super().async_added_to_hass()
        if self.registry_entry is not None and self.registry_entry.device_id:
            self.coordinator.ha_devices[self.device_id] = self.registry_entry.device_id


class ForgeWorkerEntity(ForgeEntity):
    """An entity of one build worker."""

    def __init__(
        self,
        coordinator: ForgeCoordinator,
        description: EntityDescription,
        worker_id: str,
    ) -> None:
        """Attach to the worker's device."""
        super().__init__(coordinator, description)
        self.worker_id = worker_id
        entry = coordinator.config_entry
        self._attr_unique_id = worker_unique_id(entry, worker_id, description.key)
        worker = coordinator.data.workers[worker_id]
        system = worker.get("system") or {}
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, f"{entry.entry_id}:worker:{worker_id}")},
            name=worker_device_name(entry, worker),
            manufacturer=PRODUCT_NAME,
            model="Built-in worker" if worker.get("local") else "Build worker",
            sw_version=worker.get("version"),
            hw_version=" · ".join(str(system[k]) for k in ("os", "arch") if system.get(k)) or None,
            via_device=hub_identifier(entry),
        )

    @property
    def worker(self) -> dict[str, Any]:
        """The sidecar's Worker object."""
        return self.coordinator.data.workers[self.worker_id]

    @property
    def available(self) -> bool:
        """Unavailable while the sidecar is unreachable or the worker is unknown to it."""
        return super().available and self.worker_id in self.coordinator.data.workers


def async_setup_dynamic(
    entry: ForgeConfigEntry,
    async_add_entities: AddEntitiesCallback,
    *,
    hub: Callable[[], list[ForgeEntity]] | None = None,
    node: Callable[[str], list[ForgeEntity]] | None = None,
    worker: Callable[[str], list[ForgeEntity]] | None = None,
) -> None:
    """Add entities for the hub now, and for every node and worker as the sidecar reports them."""
    coordinator = entry.runtime_data.coordinator
    known_nodes: set[str] = set()
    known_workers: set[str] = set()

    if hub is not None:
        async_add_entities(hub())

    @callback
    def add_new() -> None:
        data = coordinator.data
        # Forget ids the sidecar dropped (their entities were removed as stale), so a node that
        # comes back gets fresh entities.
        known_nodes.intersection_update(data.devices.keys())
        known_workers.intersection_update(data.workers.keys())
        new: list[ForgeEntity] = []
        if node is not None:
            for device_id in data.devices.keys() - known_nodes:
                known_nodes.add(device_id)
                new.extend(node(device_id))
        if worker is not None:
            for worker_id in data.workers.keys() - known_workers:
                known_workers.add(worker_id)
                new.extend(worker(worker_id))
        if new:
            async_add_entities(new)

    add_new()
    entry.async_on_unload(coordinator.async_add_listener(add_new))
