"""Turn sidecar client errors into translated Home Assistant errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from homeassistant.exceptions import HomeAssistantError

from .api import ForgeApiError, ForgeAuthError, ForgeConnectionError, ForgeError
from .const import DOMAIN

if TYPE_CHECKING:
    from .entry_data import ForgeConfigEntry


@asynccontextmanager
async def forge_call(entry: ForgeConfigEntry) -> AsyncIterator[None]:
    """Run sidecar calls; raise HomeAssistantError with a translation on failure.

    A rejected token also starts the reauthentication flow.
    """
    try:
        yield
    except ForgeAuthError as err:
        entry.async_start_reauth(entry.runtime_data.coordinator.hass)
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="invalid_auth") from err
    except ForgeConnectionError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        ) from err
    except ForgeApiError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="sidecar_error",
            translation_placeholders={"code": err.code, "message": err.message},
        ) from err
    except ForgeError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="sidecar_error",
            translation_placeholders={"code": "error", "message": str(err)},
        ) from err
