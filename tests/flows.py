"""Helpers the config flow tests share."""

from __future__ import annotations

import socket
from typing import Any

from custom_components.esphome_forge.const import CONF_TOKEN, CONF_URL, DOMAIN
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant


def free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def user_flow(hass: HomeAssistant, url: str, token: str) -> dict[str, Any]:
    """The user step, submitted with this address and token."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: url, CONF_TOKEN: token}
    )
