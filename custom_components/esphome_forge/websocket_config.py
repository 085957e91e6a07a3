"""HA WebSocket commands for the card's config editor (docs/ha-websocket-api.md).

Every command is admin-only: a device's YAML can hold keys and passwords inline, so reading it (or
its history and diffs) is as sensitive as changing it. Each commit records the HA user who made it
(source `card`).
secrets.yaml is never sent to the card, except to an administrator who asks for it explicitly
(`reveal: true`). A refused save (the file changed since it was loaded) answers
`{"conflict": {currentSha256, diff}, "message"}` rather than an error, since HA's errors carry no
details.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import voluptuous as vol

from homeassistant.components import websocket_api
from homeassistant.core import HomeAssistant, callback

from .api import ForgeApiError
from .const import DOMAIN
from .websocket_helpers import ATTR_ENTRY_ID, forge_errors, loaded_entry
from .workspace_client import WorkspaceClient, actor_headers

COMMIT = vol.All(str, vol.Match(r"^[0-9a-f]{7,64}$"))
SHA256 = vol.All(str, vol.Match(r"^[0-9a-f]{64}$"))
PATH = vol.All(str, vol.Length(min=1, max=512))


@callback
def async_setup_config_websocket(hass: HomeAssistant) -> None:
    """Register the config commands (once, from async_setup)."""
    for command in (
        ws_read,
        ws_save,
        ws_history,
        ws_diff,
        ws_restore,
        ws_templates,
        ws_create,
        ws_signed_ota,
        ws_signed_ota_apply,
    ):
        websocket_api.async_register_command(hass, command)


def _workspace(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> WorkspaceClient | None:
    if (entry := loaded_entry(hass, connection, msg)) is None:
        return None
    return WorkspaceClient(entry.runtime_data.client)


def _card_headers(connection: websocket_api.ActiveConnection) -> dict[str, str]:
    return actor_headers(connection.user.name if connection.user else None, "card")


async def _answer(
    connection: websocket_api.ActiveConnection, msg_id: int, call: Awaitable[Any]
) -> None:
    connection.send_result(msg_id, await call)


@websocket_api.websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/config_read",
        vol.Required("device_id"): str,
        vol.Optional("path"): PATH,
        vol.Optional("reveal", default=False): bool,
        vol.Optional(ATTR_ENTRY_ID): str,
    }
)
@websocket_api.require_admin
@websocket_api.async_response
@forge_errors
async def ws_read(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """A device's YAML (or a file it includes); secrets.yaml only for an admin asking explicitly."""
    if (ws := _workspace(hass, connection, msg)) is None:
        return
    path = msg.get("path")
    if path is not None and path.rsplit("/", 1)[-1] in ("secrets.yaml", "secrets.yml"):
        if not (connection.user and connection.user.is_admin and msg["reveal"]):
            connection.send_error(
                msg["id"],
                websocket_api.ERR_UNAUTHORIZED,
                "secrets.yaml is only shown to administrators who ask for it (reveal)",
            )
            return
        await _answer(connection, msg["id"], ws.read_secrets())
        return
    await _answer(connection, msg["id"], ws.read(msg["device_id"], path))


@websocket_api.websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/config_save",
        vol.Required("device_id"): str,
        vol.Required("content"): vol.All(str, vol.Length(max=256 * 1024)),
        vol.Required("sha256"): SHA256,
        vol.Optional("path"): PATH,
        vol.Optional(ATTR_ENTRY_ID): str,
    }
)
@websocket_api.require_admin
@websocket_api.async_response
@forge_errors
async def ws_save(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """Save as one commit by this user; `{saved}`, or `{conflict, message}` on a stale save."""
    if (ws := _workspace(hass, connection, msg)) is None:
        return
    try:
        saved = await ws.save(
            msg["device_id"],
            msg["content"],
            msg["sha256"],
            _card_headers(connection),
            msg.get("path"),
        )
    except ForgeApiError as err:
        if err.status == 409 and isinstance(err.details, dict):
            connection.send_result(msg["id"], {"conflict": err.details, "message": err.message})
            return
        raise
    connection.send_result(msg["id"], {"saved": saved})


@websocket_api.websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/config_history",
        vol.Required("device_id"): str,
        vol.Optional("offset", default=0): vol.All(int, vol.Range(min=0)),
        vol.Optional("limit", default=20): vol.All(int, vol.Range(min=1, max=200)),
        vol.Optional(ATTR_ENTRY_ID): str,
    }
)
@websocket_api.require_admin
@websocket_api.async_response
@forge_errors
async def ws_history(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """The commits touching a device's config, newest first."""
    if (ws := _workspace(hass, connection, msg)) is None:
        return
    await _answer(connection, msg["id"], ws.history(msg["device_id"], msg["offset"], msg["limit"]))


@websocket_api.websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/config_diff",
        vol.Required("device_id"): str,
        vol.Required("from"): COMMIT,
        vol.Optional("to"): COMMIT,
        vol.Optional(ATTR_ENTRY_ID): str,
    }
)
@websocket_api.require_admin
@websocket_api.async_response
@forge_errors
async def ws_diff(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """A unified diff of a device's config between two commits (or a commit and now)."""
    if (ws := _workspace(hass, connection, msg)) is None:
        return
    await _answer(connection, msg["id"], ws.diff(msg["device_id"], msg["from"], msg.get("to")))


@websocket_api.websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/config_restore",
        vol.Required("device_id"): str,
        vol.Required("commit"): COMMIT,
        vol.Optional(ATTR_ENTRY_ID): str,
    }
)
@websocket_api.require_admin
@websocket_api.async_response
@forge_errors
async def ws_restore(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """Bring a device's config back to a commit, as a new commit by this user."""
    if (ws := _workspace(hass, connection, msg)) is None:
        return
    await _answer(
        connection,
        msg["id"],
        ws.restore(msg["device_id"], msg["commit"], _card_headers(connection)),
    )


@websocket_api.websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/config_signed_ota",
        vol.Required("device_id"): str,
        vol.Optional(ATTR_ENTRY_ID): str,
    }
)
@websocket_api.require_admin
@websocket_api.async_response
@forge_errors
async def ws_signed_ota(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """The signed-OTA YAML helper: the block with Forge's key digests, and a preview of the file."""
    if (ws := _workspace(hass, connection, msg)) is None:
        return
    await _answer(connection, msg["id"], ws.signed_ota(msg["device_id"]))


@websocket_api.websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/config_signed_ota_apply",
        vol.Required("device_id"): str,
        vol.Required("sha256"): SHA256,
        vol.Optional(ATTR_ENTRY_ID): str,
    }
)
@websocket_api.require_admin
@websocket_api.async_response
@forge_errors
async def ws_signed_ota_apply(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """Apply the signed-OTA block to the device's file: one commit by this user (source `card`)."""
    if (ws := _workspace(hass, connection, msg)) is None:
        return
    await _answer(
        connection,
        msg["id"],
        ws.apply_signed_ota(msg["device_id"], msg["sha256"], _card_headers(connection)),
    )


@websocket_api.websocket_command(
    {vol.Required("type"): f"{DOMAIN}/config_templates", vol.Optional(ATTR_ENTRY_ID): str}
)
@websocket_api.require_admin
@websocket_api.async_response
@forge_errors
async def ws_templates(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """The device templates and secrets.yaml's key names (never its values)."""
    if (ws := _workspace(hass, connection, msg)) is None:
        return
    await _answer(connection, msg["id"], ws.templates())


@websocket_api.websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/device_create",
        vol.Required("name"): vol.All(str, vol.Match(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")),
        vol.Required("template"): vol.In(["esp32", "esp8266", "rp2040", "bk72xx"]),
        vol.Optional("friendly_name"): vol.All(str, vol.Length(min=1, max=120)),
        vol.Optional("board"): vol.All(str, vol.Match(r"^[A-Za-z0-9_.-]{1,64}$")),
        vol.Optional(ATTR_ENTRY_ID): str,
    }
)
@websocket_api.require_admin
@websocket_api.async_response
@forge_errors
async def ws_create(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """Create a device from a template, as one commit by this user."""
    if (ws := _workspace(hass, connection, msg)) is None:
        return
    body: dict[str, Any] = {"name": msg["name"], "template": msg["template"]}
    if "friendly_name" in msg:
        body["friendlyName"] = msg["friendly_name"]
    if "board" in msg:
        body["board"] = msg["board"]
    await _answer(connection, msg["id"], ws.create(body, _card_headers(connection)))
