"""What every WebSocket command module for the card shares: the entry lookup and the error answer.

A command handler raises ForgeError freely; `forge_errors` answers it with the matching HA
WebSocket error code (404 → not_found, 403 → unauthorized, 400 → invalid_format, else
home_assistant_error), so each handler holds only its happy path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from homeassistant.components import websocket_api
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from .api import ForgeApiError, ForgeError
from .const import DOMAIN
from .entry_data import ForgeConfigEntry

ATTR_ENTRY_ID = "entry_id"

type AsyncCommand = Callable[
    [HomeAssistant, websocket_api.ActiveConnection, dict[str, Any]], Awaitable[None]
]


def loaded_entry(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> ForgeConfigEntry | None:
    """The requested entry (default: the first loaded one); sends not_found otherwise."""
    if entry_id := msg.get(ATTR_ENTRY_ID):
        entry: ForgeConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
        if entry is not None and entry.domain == DOMAIN and entry.state is ConfigEntryState.LOADED:
            return entry
        connection.send_error(msg["id"], websocket_api.ERR_NOT_FOUND, f"No loaded entry {entry_id}")
        return None
    loaded: list[ForgeConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    if loaded:
        return loaded[0]
    entries = hass.config_entries.async_entries(DOMAIN)
    if any(e.state is ConfigEntryState.SETUP_RETRY for e in entries):
        # Usually the sidecar was unreachable when HA started; the card asks again.
        message = (
            "Forge for ESPHome is not connected to its sidecar yet; Home Assistant keeps retrying"
        )
    elif entries:
        message = "Forge for ESPHome is not loaded (see Settings → Devices & services)"
    else:
        message = "Forge for ESPHome is not set up"
    connection.send_error(msg["id"], websocket_api.ERR_NOT_FOUND, message)
    return None


def send_forge_error(
    connection: websocket_api.ActiveConnection, msg_id: int, err: ForgeError
) -> None:
    """Answer a command with the WebSocket error that matches the sidecar's refusal."""
    if isinstance(err, ForgeApiError) and err.status == 404:
        connection.send_error(msg_id, websocket_api.ERR_NOT_FOUND, err.message)
    elif isinstance(err, ForgeApiError) and err.status == 403:
        connection.send_error(msg_id, websocket_api.ERR_UNAUTHORIZED, err.message)
    elif isinstance(err, ForgeApiError) and err.status == 400:
        connection.send_error(msg_id, websocket_api.ERR_INVALID_FORMAT, err.message)
    else:
        message = err.message if isinstance(err, ForgeApiError) else str(err)
        connection.send_error(msg_id, websocket_api.ERR_HOME_ASSISTANT_ERROR, message)


def forge_errors(handler: AsyncCommand) -> AsyncCommand:
    """Answer a ForgeError the handler raises with `send_forge_error` (under `async_response`)."""

    @wraps(handler)
    async def answered(
        hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
    ) -> None:
        try:
            await handler(hass, connection, msg)
        except ForgeError as err:
            send_forge_error(connection, msg["id"], err)

    return answered
