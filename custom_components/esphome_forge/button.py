"""Buttons: compile a node; clear a worker's build cache."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import ForgeClient
from .entity import ForgeNodeEntity, ForgeWorkerEntity, async_setup_dynamic
from .entry_data import ForgeConfigEntry
from .helpers import forge_call

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class ForgeButtonDescription(ButtonEntityDescription):
    """A button and what pressing it asks of the sidecar."""

    press_fn: Callable[[ForgeClient, str], Awaitable[object]]


COMPILE = ForgeButtonDescription(
    key="compile",
    translation_key="compile",
    press_fn=lambda client, device_id: client.create_jobs(
        "compile", [device_id], priority="interactive", source="ha"
    ),
)
CLEAN_CACHE = ForgeButtonDescription(
    key="clean_cache",
    translation_key="clean_cache",
    entity_category=EntityCategory.CONFIG,
    press_fn=lambda client, worker_id: client.clean_worker_cache(worker_id),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ForgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the buttons."""
    coordinator = entry.runtime_data.coordinator
    async_setup_dynamic(
        entry,
        async_add_entities,
        node=lambda device_id: [ForgeCompileButton(coordinator, COMPILE, device_id)],
        worker=lambda worker_id: [ForgeCleanCacheButton(coordinator, CLEAN_CACHE, worker_id)],
    )


class ForgeCompileButton(ForgeNodeEntity, ButtonEntity):
    """Queue a compile (no upload) of the node's current config."""

    entity_description: ForgeButtonDescription

    async def async_press(self) -> None:
        """Queue the job (admins only); its status shows on the build-status sensor."""
        await self.async_require_admin("button.press")
        async with forge_call(self.entry):
            await self.entity_description.press_fn(self.coordinator.client, self.device_id)


class ForgeCleanCacheButton(ForgeWorkerEntity, ButtonEntity):
    """Ask a worker to clear its build cache."""

    entity_description: ForgeButtonDescription

    async def async_press(self) -> None:
        """Send the request (admins only; the sidecar refuses when the worker is offline)."""
        await self.async_require_admin("button.press")
        async with forge_call(self.entry):
            await self.entity_description.press_fn(self.coordinator.client, self.worker_id)
