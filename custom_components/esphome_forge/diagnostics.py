"""Diagnostics: entry, sidecar summary, fleet state; token, MACs and addresses redacted.

Keys are redacted wherever they appear; the values behind them (device addresses and MACs, worker
host names, the sidecar's host, the token) are also scrubbed out of free text such as a job's error
("Connecting to <address> port 3232 failed").
"""

from __future__ import annotations

from typing import Any

from yarl import URL

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.core import HomeAssistant

from .api import ForgeError
from .const import CONF_TOKEN, CONF_URL
from .entry_data import ForgeConfigEntry
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


def _secrets(entry: ForgeConfigEntry) -> set[str]:
    """Values that must not appear anywhere, also inside longer strings."""
    data = entry.runtime_data.coordinator.data
    found: set[str] = {str(entry.data.get(CONF_TOKEN) or "")}
    if host := URL(str(entry.data.get(CONF_URL) or "")).host:
        found.add(host)
    for device in data.devices.values():
        for key in ("mac", "address"):
            if value := device.get(key):
                found.update({str(value), str(value).lower(), str(value).upper()})
    for worker in data.workers.values():
        if hostname := (worker.get("system") or {}).get("hostname"):
            found.add(str(hostname))
    # Short values (e.g. a one-letter host) would mangle unrelated text.
    return {value for value in found if len(value) >= 4}


def _scrub(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {k: _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    return value


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ForgeConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    runtime = entry.runtime_data
    coordinator = runtime.coordinator
    data = coordinator.data
    try:
        # Fetched now: the integration itself never needs the fleet settings.
        settings: dict[str, Any] = await runtime.client.settings()
    except ForgeError as err:
        settings = {"error": str(err)}
    redacted = async_redact_data(
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
            "settings": settings,
            "devices": list(data.devices.values()),
            "workers": list(data.workers.values()),
            "jobs": sorted(data.jobs.values(), key=lambda j: j["id"], reverse=True)[:50],
        },
        TO_REDACT,
    )
    # Longest first, so a value containing another is replaced whole.
    scrubbed: dict[str, Any] = _scrub(redacted, sorted(_secrets(entry), key=len, reverse=True))
    return scrubbed
