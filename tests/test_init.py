"""Setup, entities, unload against a real sidecar."""

from __future__ import annotations

from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from .conftest import node_entity


async def test_setup_and_unload(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Entities appear for every node, the hub and the worker; unload stops cleanly."""
    assert hass.states.get(node_entity(hass, "update", "kitchen", "update")) is not None
    assert hass.states.get("sensor.forge_for_esphome_queue_depth").state == "0"
    assert hass.states.get("binary_sensor.forge_for_esphome_local_worker_online").state == "on"

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
