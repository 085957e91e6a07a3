"""Binary sensors: whether each build worker is connected."""

from __future__ import annotations

from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ForgeConfigEntry
from .entity import ForgeWorkerEntity, async_setup_dynamic

PARALLEL_UPDATES = 0

ONLINE = BinarySensorEntityDescription(
    key="online",
    translation_key="online",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ForgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up one connectivity sensor per worker."""
    coordinator = entry.runtime_data.coordinator
    async_setup_dynamic(
        entry,
        async_add_entities,
        worker=lambda worker_id: [ForgeWorkerOnline(coordinator, ONLINE, worker_id)],
    )


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
