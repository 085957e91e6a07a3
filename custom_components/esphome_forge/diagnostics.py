"""Diagnostics: entry, sidecar summary, fleet state; token, MACs and addresses redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .const import CONF_TOKEN, CONF_URL
from .coordinator import ForgeConfigEntry
from .frontend import DATA_CARD_URL

TO_REDACT = {
    CONF_TOKEN,
    CONF_URL,
    "token",
    "mac",
    "address",
    "hostname",
    "configDir",
    "url",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ForgeConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    runtime = entry.runtime_data
    coordinator = runtime.coordinator
    data = coordinator.data
    return async_redact_data(
        {
            "entry": {
                "title": entry.title,
                "data": dict(entry.data),
                "options": dict(entry.options),
            },
            "connection": {
                "connected": coordinator.connected,
                "last_event_at": coordinator.last_event_at,
                "disconnected_since": coordinator.disconnected_since,
                "last_error": coordinator.last_error,
                "seq": data.seq,
            },
            "card_url": hass.data.get(DATA_CARD_URL),
            "info": runtime.info,
            "settings": data.settings,
            "devices": list(data.devices.values()),
            "workers": list(data.workers.values()),
            "jobs": sorted(data.jobs.values(), key=lambda j: j["id"], reverse=True)[:50],
        },
        TO_REDACT,
    )
