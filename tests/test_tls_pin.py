"""TLS with the sidecar's pinned key, against a real sidecar: the config flow shows the fingerprint and
stores it; a rotated key is never taken silently — setup stops and the reauth flow shows the new one."""

from __future__ import annotations

import aiohttp

from custom_components.esphome_forge.const import CONF_FINGERPRINT, CONF_TOKEN, CONF_URL, DOMAIN
from custom_components.esphome_forge.tls_pin import format_fingerprint
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from .sidecar import Sidecar


async def _rotate_key(sidecar: Sidecar) -> str:
    """`esphome-forge tls rotate`, through the admin API over loopback."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"http://127.0.0.1:{sidecar.port}/api/v1/tls/rotate",
            headers={"Authorization": f"Bearer {sidecar.token}"},
            json={},
        ) as resp,
    ):
        assert resp.status == 200, await resp.text()
        return str((await resp.json())["fingerprint"])


async def test_pinned_key_shown_stored_and_a_new_key_is_a_reauth(
    hass: HomeAssistant, sidecar: Sidecar
) -> None:
    """https to the sidecar's self-signed key: confirm the fingerprint, then only that key is accepted."""
    assert sidecar.fingerprint
    url = f"https://127.0.0.1:{sidecar.port}"
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: url, CONF_TOKEN: sidecar.token}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "tls_confirm"
    assert result["description_placeholders"] == {
        "url": url,
        "fingerprint": format_fingerprint(sidecar.fingerprint),
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_URL: url,
        CONF_TOKEN: sidecar.token,
        CONF_FINGERPRINT: sidecar.fingerprint,
    }
    entry = result["result"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    # The sidecar's key changes (a rotation, or something else answering at that address).
    new = await _rotate_key(sidecar)
    assert new != sidecar.fingerprint
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.data[CONF_FINGERPRINT] == sidecar.fingerprint  # not taken silently
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == "reauth"
    result = await hass.config_entries.flow.async_configure(flow["flow_id"])
    assert result["step_id"] == "reauth_new_key"
    assert result["description_placeholders"]["fingerprint"] == format_fingerprint(new)
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_TOKEN: sidecar.token}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_FINGERPRINT] == new
    assert entry.state is ConfigEntryState.LOADED
