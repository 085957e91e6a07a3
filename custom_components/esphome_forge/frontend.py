"""Serve the card's bundled JS and load it in every frontend session.

Registered once per HA run from `async_setup`: registering the static path again on an entry
reload would make aiohttp refuse a duplicate route. The URL carries a hash of the bundle so
browsers fetch a new card after an update despite the long cache lifetime of static files.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from homeassistant.components.frontend import add_extra_js_url
from homeassistant.components.http import StaticPathConfig
from homeassistant.core import HomeAssistant
from homeassistant.util.hass_dict import HassKey

from .const import CARD_FILENAME, FRONTEND_URL_BASE, LOGGER

FRONTEND_DIR = Path(__file__).parent / "frontend"
DATA_CARD_URL: HassKey[str] = HassKey("esphome_forge_card_url")


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


async def async_setup_frontend(hass: HomeAssistant) -> str | None:
    """Register the static path and the extra JS URL; return the card URL (None if unbuilt)."""
    if DATA_CARD_URL in hass.data:
        return hass.data[DATA_CARD_URL]
    directory = FRONTEND_DIR
    digest = await hass.async_add_executor_job(_digest, directory / CARD_FILENAME)
    if digest is None:
        LOGGER.warning(
            "The card bundle %s is missing; the Forge card will not load",
            directory / CARD_FILENAME,
        )
        return None
    await hass.http.async_register_static_paths(
        [StaticPathConfig(FRONTEND_URL_BASE, str(directory), cache_headers=True)]
    )
    url = f"{FRONTEND_URL_BASE}/{CARD_FILENAME}?v={digest[:16]}"
    add_extra_js_url(hass, url)
    hass.data[DATA_CARD_URL] = url
    return url
