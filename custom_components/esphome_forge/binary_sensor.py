"""Binary sensors: whether each build worker is connected, and whether each node is online.

A node's connectivity sensor exists only where HA's ESPHome integration gives the device none (its
`status` binary sensor): HA users see one "connected" per device, never two that may disagree.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ForgeConfigEntry, ForgeCoordinator
from .entity import ForgeNodeEntity, ForgeWorkerEntity, async_setup_dynamic, esphome_device_of
from .esphome_device import connectivity_entity_id

PARALLEL_UPDATES = 0

ONLINE = BinarySensorEntityDescription(
    key="online",
    translation_key="online",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
)

NODE_ONLINE = BinarySensorEntityDescription(
    key="connectivity",
    translation_key="node_online",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ForgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up one connectivity sensor per worker, and per node where ESPHome has none."""
    coordinator = entry.runtime_data.coordinator
    async_setup_dynamic(
        entry,
        async_add_entities,
        node=lambda device_id: _node_online(hass, coordinator, device_id),
        worker=lambda worker_id: [ForgeWorkerOnline(coordinator, ONLINE, worker_id)],
    )


def _node_online(
    hass: HomeAssistant, coordinator: ForgeCoordinator, device_id: str
) -> list[ForgeNodeEntity]:
    node = coordinator.data.devices[device_id]
    if "online" not in node:
        return []  # a sidecar without presence
    esphome = esphome_device_of(hass, node)
    if esphome is not None and connectivity_entity_id(hass, esphome.id) is not None:
        return []  # ESPHome's own status sensor says it already
    return [ForgeNodeOnline(coordinator, NODE_ONLINE, device_id)]


class ForgeWorkerOnline(ForgeWorkerEntity, BinarySensorEntity):
    """On while the worker holds a connection to the sidecar."""

    # Moves with every worker event: shown live, kept out of history.
    _unrecorded_attributes = frozenset({"last_seen_at"})

    @property
    def is_on(self) -> bool:
        """The worker's `online` flag."""
        return bool(self.worker["online"])

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """When it connected and was last heard from."""
        return {
            "connected_at": self.worker.get("connectedAt"),
            "last_seen_at": self.worker.get("lastSeenAt"),
            "esphome_versions": list(self.worker.get("esphomeVersions") or []),
            "tags": list(self.worker.get("tags") or []),
        }


class ForgeNodeOnline(ForgeNodeEntity, BinarySensorEntity):
    """On while the node is reachable: heard over mDNS, or connected to HA's ESPHome integration."""

    # Refreshed every few minutes while the node stays online: shown live, kept out of history.
    _unrecorded_attributes = frozenset({"last_seen"})

    @property
    def is_on(self) -> bool | None:
        """The sidecar's `online` (None until any source has seen the node)."""
        online = self.node.get("online")
        return None if online is None else bool(online)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """When it was last heard, by whom, and where."""
        presence = self.node.get("presence") or {}
        return {
            "last_seen": self.node.get("lastSeen"),
            "source": presence.get("source"),
            "addresses": list(presence.get("addresses") or []),
        }
