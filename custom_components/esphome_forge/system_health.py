"""System health: is the sidecar reachable, and what does it report."""

from __future__ import annotations

from typing import Any

from homeassistant.components import system_health
from homeassistant.core import HomeAssistant, callback

from .const import API_PREFIX, DOMAIN
from .entry_data import ForgeConfigEntry


@callback
def async_register(hass: HomeAssistant, register: system_health.SystemHealthRegistration) -> None:
    """Register the info callback."""
    register.async_register_info(system_health_info)


async def system_health_info(hass: HomeAssistant) -> dict[str, Any]:
    """Info for the first loaded entry (the usual single sidecar)."""
    entries: list[ForgeConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    if not entries:
        return {"loaded": False}
    entry = entries[0]
    coordinator = entry.runtime_data.coordinator
    data = coordinator.data
    info = entry.runtime_data.info
    return {
        "can_reach_sidecar": system_health.async_check_can_reach_url(
            hass, f"{coordinator.client.url}{API_PREFIX}/health"
        ),
        "events_connected": coordinator.connected,
        "sidecar_version": info.get("version"),
        "api_version": info.get("apiVersion"),
        "devices": len(data.devices),
        "workers_online": sum(1 for w in data.workers.values() if w["online"]),
        "queue_depth": sum(1 for j in data.jobs.values() if j["state"] in ("queued", "blocked")),
        "last_event": coordinator.last_event_at.isoformat() if coordinator.last_event_at else "-",
    }
