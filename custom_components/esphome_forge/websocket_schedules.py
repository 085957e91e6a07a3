"""HA WebSocket commands for the card's schedules, routing and worker views (docs/ha-websocket-api.md).

Admins only. The bodies are the sidecar's own (`ScheduleCreate` / `SchedulePatch`, camelCase); the
sidecar checks them and its message comes back as the command's error.

Every command has the same shape: find the entry, make one sidecar call, answer with its result. So
they are one table (`COMMANDS`) and one handler factory; a row says the command's type, its fields,
the call and whether it is for admins.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import voluptuous as vol

from homeassistant.components import websocket_api
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.typing import VolDictType

from .api import ForgeClient
from .const import DOMAIN
from .websocket_helpers import ATTR_ENTRY_ID, forge_errors, loaded_entry
from .worker_enrolment import approve_path, reject_path

SCHEDULE_ID = vol.All(int, vol.Range(min=1))


@dataclass(frozen=True, slots=True)
class ForwardedCommand:
    """One WebSocket command that forwards to one sidecar call and answers with its result."""

    type: str
    """The command's type after `esphome_forge/`."""
    fields: VolDictType
    """The message's own fields (`type` and the optional `entry_id` are added)."""
    call: Callable[[ForgeClient, dict[str, Any]], Awaitable[Any]]
    """The sidecar call, given the client and the validated message."""
    admin: bool = True


COMMANDS: tuple[ForwardedCommand, ...] = (
    # Create a schedule (the sidecar's ScheduleCreate); answer with the Schedule.
    ForwardedCommand(
        "schedules/create",
        {vol.Required("schedule"): dict},
        lambda c, msg: c.create_schedule(msg["schedule"]),
    ),
    # Change a schedule (the sidecar's SchedulePatch); answer with the Schedule.
    ForwardedCommand(
        "schedules/update",
        {vol.Required("schedule_id"): SCHEDULE_ID, vol.Required("patch"): dict},
        lambda c, msg: c.update_schedule(msg["schedule_id"], msg["patch"]),
    ),
    # Delete a schedule.
    ForwardedCommand(
        "schedules/delete",
        {vol.Required("schedule_id"): SCHEDULE_ID},
        lambda c, msg: c.delete_schedule(msg["schedule_id"]),
    ),
    # Run a schedule now; answer with the ScheduleRun.
    ForwardedCommand(
        "schedules/run",
        {vol.Required("schedule_id"): SCHEDULE_ID},
        lambda c, msg: c.run_schedule(msg["schedule_id"]),
    ),
    # The sidecar's ordered routing rules.
    ForwardedCommand("routing_rules", {}, lambda c, msg: c.routing_rules()),
    # Replace the routing rules (the sidecar's RoutingRule list checks them); answer with them.
    ForwardedCommand(
        "routing_rules/set",
        {vol.Required("rules"): list},
        lambda c, msg: c.set_routing_rules(msg["rules"]),
    ),
    # Approve a waiting worker's key: exactly the fingerprint the admin compared (else refused).
    ForwardedCommand(
        "worker_approve",
        {
            vol.Required("worker_id"): str,
            vol.Required("fingerprint"): vol.All(str, vol.Match(r"^[0-9a-f]{64}$")),
        },
        lambda c, msg: c.request_object(
            "POST", approve_path(msg["worker_id"]), json={"fingerprint": msg["fingerprint"]}
        ),
    ),
    # Reject a waiting worker's key: it gets no job and no secret, and may not come back with it.
    ForwardedCommand(
        "worker_reject",
        {vol.Required("worker_id"): str},
        lambda c, msg: c.request_object("POST", reject_path(msg["worker_id"]), json={}),
    ),
)


def command_handler(command: ForwardedCommand) -> websocket_api.WebSocketCommandHandler:
    """The registered handler: schema, admin check, async response, sidecar errors answered."""

    @forge_errors
    async def forward(
        hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
    ) -> None:
        if (entry := loaded_entry(hass, connection, msg)) is None:
            return
        connection.send_result(msg["id"], await command.call(entry.runtime_data.client, msg))

    handler = websocket_api.async_response(forward)
    if command.admin:
        handler = websocket_api.require_admin(handler)
    schema: VolDictType = {
        vol.Required("type"): f"{DOMAIN}/{command.type}",
        **command.fields,
        vol.Optional(ATTR_ENTRY_ID): str,
    }
    return websocket_api.websocket_command(schema)(handler)


@callback
def async_setup_schedule_websocket(hass: HomeAssistant) -> None:
    """Register the schedule, routing and worker commands (once, from async_setup)."""
    for command in COMMANDS:
        websocket_api.async_register_command(hass, command_handler(command))
