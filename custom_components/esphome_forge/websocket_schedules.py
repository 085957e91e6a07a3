"""HA WebSocket commands for the card's schedules, routing and worker views (docs/ha-websocket-api.md).

Admins only. The bodies are the sidecar's own (`ScheduleCreate` / `SchedulePatch`, camelCase); the
sidecar checks them and its message comes back as the command's error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import voluptuous as vol

from homeassistant.components import websocket_api
from homeassistant.core import HomeAssistant, callback

from .api import ForgeClient
from .const import DOMAIN
from .websocket_helpers import ATTR_ENTRY_ID, forge_errors, loaded_entry
from .worker_enrolment import approve_path, reject_path


@callback
def async_setup_schedule_websocket(hass: HomeAssistant) -> None:
    """Register the schedule commands (once, from async_setup)."""
    websocket_api.async_register_command(hass, ws_schedule_create)
    websocket_api.async_register_command(hass, ws_schedule_update)
    websocket_api.async_register_command(hass, ws_schedule_delete)
    websocket_api.async_register_command(hass, ws_schedule_run)
    websocket_api.async_register_command(hass, ws_routing_rules)
    websocket_api.async_register_command(hass, ws_routing_rules_set)
    websocket_api.async_register_command(hass, ws_worker_approve)
    websocket_api.async_register_command(hass, ws_worker_reject)


async def _forward(
    hass: HomeAssistant,
    connection: websocket_api.ActiveConnection,
    msg: dict[str, Any],
    call: Callable[[ForgeClient], Awaitable[Any]],
) -> None:
    """Run one sidecar call for the command and answer with its result (errors: forge_errors)."""
    if (entry := loaded_entry(hass, connection, msg)) is None:
        return
    connection.send_result(msg["id"], await call(entry.runtime_data.client))


@websocket_api.websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/schedules/create",
        vol.Required("schedule"): dict,
        vol.Optional(ATTR_ENTRY_ID): str,
    }
)
@websocket_api.require_admin
@websocket_api.async_response
@forge_errors
async def ws_schedule_create(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """Create a schedule (the sidecar's ScheduleCreate); answer with the Schedule."""
    await _forward(hass, connection, msg, lambda c: c.create_schedule(msg["schedule"]))


@websocket_api.websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/schedules/update",
        vol.Required("schedule_id"): vol.All(int, vol.Range(min=1)),
        vol.Required("patch"): dict,
        vol.Optional(ATTR_ENTRY_ID): str,
    }
)
@websocket_api.require_admin
@websocket_api.async_response
@forge_errors
async def ws_schedule_update(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """Change a schedule (the sidecar's SchedulePatch); answer with the Schedule."""
    await _forward(
        hass, connection, msg, lambda c: c.update_schedule(msg["schedule_id"], msg["patch"])
    )


@websocket_api.websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/schedules/delete",
        vol.Required("schedule_id"): vol.All(int, vol.Range(min=1)),
        vol.Optional(ATTR_ENTRY_ID): str,
    }
)
@websocket_api.require_admin
@websocket_api.async_response
@forge_errors
async def ws_schedule_delete(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """Delete a schedule."""
    await _forward(hass, connection, msg, lambda c: c.delete_schedule(msg["schedule_id"]))


@websocket_api.websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/schedules/run",
        vol.Required("schedule_id"): vol.All(int, vol.Range(min=1)),
        vol.Optional(ATTR_ENTRY_ID): str,
    }
)
@websocket_api.require_admin
@websocket_api.async_response
@forge_errors
async def ws_schedule_run(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """Run a schedule now; answer with the ScheduleRun."""
    await _forward(hass, connection, msg, lambda c: c.run_schedule(msg["schedule_id"]))


@websocket_api.websocket_command(
    {vol.Required("type"): f"{DOMAIN}/routing_rules", vol.Optional(ATTR_ENTRY_ID): str}
)
@websocket_api.require_admin
@websocket_api.async_response
@forge_errors
async def ws_routing_rules(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """The sidecar's ordered routing rules."""
    await _forward(hass, connection, msg, lambda c: c.routing_rules())


@websocket_api.websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/routing_rules/set",
        vol.Required("rules"): list,
        vol.Optional(ATTR_ENTRY_ID): str,
    }
)
@websocket_api.require_admin
@websocket_api.async_response
@forge_errors
async def ws_routing_rules_set(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """Replace the routing rules (the sidecar's RoutingRule list checks them); answer with them."""
    await _forward(hass, connection, msg, lambda c: c.set_routing_rules(msg["rules"]))


@websocket_api.websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/worker_approve",
        vol.Required("worker_id"): str,
        vol.Required("fingerprint"): vol.All(str, vol.Match(r"^[0-9a-f]{64}$")),
        vol.Optional(ATTR_ENTRY_ID): str,
    }
)
@websocket_api.require_admin
@websocket_api.async_response
@forge_errors
async def ws_worker_approve(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """Approve a waiting worker's key: exactly the fingerprint the admin compared (else refused)."""
    await _forward(
        hass,
        connection,
        msg,
        lambda c: c.request_object(
            "POST", approve_path(msg["worker_id"]), json={"fingerprint": msg["fingerprint"]}
        ),
    )


@websocket_api.websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/worker_reject",
        vol.Required("worker_id"): str,
        vol.Optional(ATTR_ENTRY_ID): str,
    }
)
@websocket_api.require_admin
@websocket_api.async_response
@forge_errors
async def ws_worker_reject(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """Reject a waiting worker's key: it gets no job and no secret, and may not come back with it."""
    await _forward(
        hass,
        connection,
        msg,
        lambda c: c.request_object("POST", reject_path(msg["worker_id"]), json={}),
    )
