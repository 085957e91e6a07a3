"""Numbers: the build slots of each worker."""

from __future__ import annotations

from homeassistant.components.number import NumberEntity, NumberEntityDescription, NumberMode
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import ForgeWorkerEntity, async_setup_dynamic
from .entry_data import ForgeConfigEntry
from .helpers import forge_call

PARALLEL_UPDATES = 1

SLOTS = NumberEntityDescription(
    key="slots",
    translation_key="slots",
    entity_category=EntityCategory.CONFIG,
    native_min_value=0,
    native_max_value=32,
    native_step=1,
    mode=NumberMode.BOX,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ForgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up one slots number per worker."""
    coordinator = entry.runtime_data.coordinator
    async_setup_dynamic(
        entry,
        async_add_entities,
        worker=lambda worker_id: [ForgeWorkerSlots(coordinator, SLOTS, worker_id)],
    )


class ForgeWorkerSlots(ForgeWorkerEntity, NumberEntity):
    """How many jobs the worker runs at once (0 pauses it)."""

    @property
    def native_value(self) -> int:
        """The worker's slots (a whole number: the state reads `2`, not `2.0`)."""
        return int(self.worker["slots"])

    async def async_set_native_value(self, value: float) -> None:
        """PATCH the worker (admins only); the sidecar answers with the updated worker."""
        await self.async_require_admin("number.set_value")
        async with forge_call(self.entry):
            worker = await self.coordinator.client.patch_worker(
                self.worker_id, {"slots": int(value)}
            )
        # The sidecar answers with the updated Worker but (as of API v1) publishes no `worker`
        # event for the change: apply the answer so every entity shows it at once.
        self.coordinator.data.workers[self.worker_id] = worker
        self.coordinator.async_update_listeners()
