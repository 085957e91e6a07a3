"""HA WebSocket commands for the card (docs/ha-websocket-api.md).

The card talks only to Home Assistant; the sidecar's admin token stays here. Payloads keep the
sidecar's own shapes (camelCase) so the card has one decoder for both of its data paths.
"""

from __future__ import annotations

from typing import Any

import voluptuous as vol

from homeassistant.components import websocket_api
from homeassistant.core import HomeAssistant, callback

from .const import DOMAIN, JOB_PRIORITIES
from .websocket_config import async_setup_config_websocket
from .websocket_helpers import ATTR_ENTRY_ID, forge_errors, loaded_entry


@callback
def async_setup_websocket(hass: HomeAssistant) -> None:
    """Register the commands (once, from async_setup)."""
    websocket_api.async_register_command(hass, ws_subscribe)
    websocket_api.async_register_command(hass, ws_job_log)
    websocket_api.async_register_command(hass, ws_compile)
    websocket_api.async_register_command(hass, ws_upload)
    websocket_api.async_register_command(hass, ws_cancel)
    websocket_api.async_register_command(hass, ws_trust_status)
    async_setup_config_websocket(hass)


@websocket_api.websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/subscribe",
        vol.Optional(ATTR_ENTRY_ID): str,
    }
)
@callback
def ws_subscribe(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """A snapshot, then the sidecar's device / job / worker deltas (a fresh snapshot on reconnect)."""
    if (entry := loaded_entry(hass, connection, msg)) is None:
        return
    coordinator = entry.runtime_data.coordinator
    msg_id = msg["id"]

    @callback
    def relay(event: dict[str, Any]) -> None:
        connection.send_message(websocket_api.event_message(msg_id, event))

    connection.subscriptions[msg_id] = coordinator.async_add_relay(relay)
    connection.send_result(msg_id)
    relay(coordinator.data.snapshot_event())
    if not coordinator.connected:
        # The snapshot is what HA last knew; say so.
        relay(coordinator.unreachable_event())


@websocket_api.websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/job_log",
        vol.Required("job_id"): vol.All(int, vol.Range(min=1)),
        vol.Optional("offset", default=0): vol.All(int, vol.Range(min=0)),
        vol.Optional(ATTR_ENTRY_ID): str,
    }
)
@websocket_api.async_response
@forge_errors
async def ws_job_log(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """`log` events from the given byte offset, then `log_end` when the job finishes."""
    if (entry := loaded_entry(hass, connection, msg)) is None:
        return
    runtime = entry.runtime_data
    msg_id = msg["id"]
    # Checked over REST first: the stream's own not-found error names no request.
    await runtime.client.job(msg["job_id"])

    @callback
    def send(event: dict[str, Any]) -> None:
        connection.send_message(websocket_api.event_message(msg_id, event))

    try:
        unsubscribe = await runtime.coordinator.async_subscribe_log(
            msg["job_id"], msg["offset"], send
        )
    except ConnectionError as err:
        connection.send_error(msg_id, websocket_api.ERR_HOME_ASSISTANT_ERROR, str(err))
        return
    connection.subscriptions[msg_id] = unsubscribe
    connection.send_result(msg_id)


@websocket_api.websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/compile",
        vol.Required("device_ids"): vol.All([str], vol.Length(min=1)),
        vol.Optional("upload", default=True): bool,
        vol.Optional("when_online", default=False): bool,
        vol.Optional("priority", default="interactive"): vol.In(JOB_PRIORITIES),
        vol.Optional(ATTR_ENTRY_ID): str,
    }
)
@websocket_api.require_admin
@websocket_api.async_response
@forge_errors
async def ws_compile(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """Queue compile (+ upload) jobs; answer with the sidecar's CreateJobsResponse.

    `when_online` arms the flashes: each waits until its device is online (a compile alone never
    waits for a device, so it needs upload).
    """
    if msg["when_online"] and not msg["upload"]:
        connection.send_error(
            msg["id"], websocket_api.ERR_INVALID_FORMAT, "when_online needs upload"
        )
        return
    if (entry := loaded_entry(hass, connection, msg)) is None:
        return
    action = "compile_upload" if msg["upload"] else "compile"
    result = await entry.runtime_data.client.create_jobs(
        action,
        msg["device_ids"],
        priority=msg["priority"],
        params={"whenOnline": True} if msg["when_online"] else None,
        source="card",
    )
    connection.send_result(msg["id"], result)


@websocket_api.websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/upload",
        vol.Required("device_ids"): vol.All([str], vol.Length(min=1)),
        vol.Optional("firmware_sha256"): vol.All(str, vol.Match(r"^[0-9a-f]{64}$")),
        vol.Optional("when_online", default=False): bool,
        vol.Optional(ATTR_ENTRY_ID): str,
    }
)
@websocket_api.require_admin
@websocket_api.async_response
@forge_errors
async def ws_upload(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """Flash stored firmware without recompiling."""
    if (entry := loaded_entry(hass, connection, msg)) is None:
        return
    params: dict[str, Any] = {}
    if "firmware_sha256" in msg:
        params["firmwareSha256"] = msg["firmware_sha256"]
    if msg["when_online"]:
        params["whenOnline"] = True
    result = await entry.runtime_data.client.create_jobs(
        "upload", msg["device_ids"], priority="interactive", params=params, source="card"
    )
    connection.send_result(msg["id"], result)


@websocket_api.websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/cancel",
        vol.Required("job_id"): vol.All(int, vol.Range(min=1)),
        vol.Optional(ATTR_ENTRY_ID): str,
    }
)
@websocket_api.require_admin
@websocket_api.async_response
@forge_errors
async def ws_cancel(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """Cancel a job; answer with the sidecar's Job."""
    if (entry := loaded_entry(hass, connection, msg)) is None:
        return
    job = await entry.runtime_data.client.cancel_job(msg["job_id"])
    connection.send_result(msg["id"], job)


@websocket_api.websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/trust_status",
        vol.Optional(ATTR_ENTRY_ID): str,
    }
)
@websocket_api.require_admin
@websocket_api.async_response
@forge_errors
async def ws_trust_status(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """The sidecar's TrustStatus, fetched now (it also updates the trust repairs issues)."""
    if (entry := loaded_entry(hass, connection, msg)) is None:
        return
    status = await entry.runtime_data.trust.async_fetch()
    connection.send_result(msg["id"], status)
