"""The card bundle: served by the integration and loaded once, with a cache-busting hash."""

from __future__ import annotations

import hashlib

from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.esphome_forge.const import CARD_FILENAME
from custom_components.esphome_forge.frontend import FRONTEND_DIR
from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant


async def test_card_served_and_registered_once(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, init_integration: MockConfigEntry
) -> None:
    """Static path + extra module URL from async_setup; a reload registers nothing twice."""
    bundle = (FRONTEND_DIR / CARD_FILENAME).read_bytes()
    digest = hashlib.sha256(bundle).hexdigest()[:16]
    url = f"/esphome_forge_static/{CARD_FILENAME}?v={digest}"
    assert url in hass.data[DATA_EXTRA_MODULE_URL].urls

    client = await hass_client()
    resp = await client.get(url)
    assert resp.status == 200
    assert await resp.read() == bundle

    # Reloading the entry must not register the route again (aiohttp would refuse it).
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED
    assert [u for u in hass.data[DATA_EXTRA_MODULE_URL].urls if CARD_FILENAME in u] == [url]
