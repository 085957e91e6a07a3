"""Config flow, set up by hand: the user step (real sidecar) with every error branch, reauth,
reconfigure, options, and setup against an unreachable or incompatible peer. Discovery:
test_config_flow_zeroconf.py and test_config_flow_hassio.py."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from aiohttp import web
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.esphome_forge.const import (
    CONF_DEFAULT_PRIORITY,
    CONF_REPAIR_GRACE_MINUTES,
    CONF_TOKEN,
    CONF_URL,
    CONF_VALIDATE_TIMEOUT,
    DOMAIN,
)
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from .flows import free_port, user_flow
from .sidecar import Sidecar


@pytest.fixture
async def fake_peer() -> AsyncGenerator[dict[str, Any]]:
    """A tiny HTTP server that is *not* a compatible sidecar (the incompatible peers)."""
    answers: dict[str, Any] = {"status": 200, "body": {}}

    async def info(request: web.Request) -> web.StreamResponse:
        if answers["body"] is None:
            return web.Response(status=answers["status"], text="<html>nope</html>")
        return web.json_response(answers["body"], status=answers["status"])

    app = web.Application()
    app.router.add_get("/api/v1/info", info)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    answers["url"] = f"http://127.0.0.1:{port}"
    yield answers
    await runner.cleanup()


async def test_user_flow_errors_then_success(hass: HomeAssistant, sidecar: Sidecar) -> None:
    """Each error keeps the form open with a clear message; the right input creates the entry."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    flow_id = result["flow_id"]

    async def attempt(url: str, token: str) -> dict[str, Any]:
        return await hass.config_entries.flow.async_configure(
            flow_id, {CONF_URL: url, CONF_TOKEN: token}
        )

    result = await attempt(f"http://127.0.0.1:{free_port()}", sidecar.token)
    assert result["errors"] == {"base": "cannot_connect"}
    result = await attempt(sidecar.url, "not-the-token")
    assert result["errors"] == {CONF_TOKEN: "invalid_auth"}
    result = await attempt("ftp://127.0.0.1", sidecar.token)
    assert result["errors"] == {CONF_URL: "invalid_url"}

    result = await attempt(sidecar.url.removeprefix("http://"), sidecar.token)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Forge for ESPHome"
    assert result["data"] == {CONF_URL: sidecar.url, CONF_TOKEN: sidecar.token}
    assert result["result"].unique_id == sidecar.instance_id
    await hass.async_block_till_done()

    # The same sidecar again is refused.
    result = await user_flow(hass, sidecar.url, sidecar.token)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, {"product": "Something else", "apiVersion": 1}),
        (200, {"product": "Forge for ESPHome", "apiVersion": 2}),
        (404, None),
        (200, None),
    ],
    ids=["other-product", "newer-api", "html-404", "html-200"],
)
async def test_user_flow_incompatible(
    hass: HomeAssistant, fake_peer: dict[str, Any], status: int, body: Any
) -> None:
    """Not a sidecar, or a sidecar speaking another API version."""
    fake_peer["status"], fake_peer["body"] = status, body
    result = await user_flow(hass, fake_peer["url"], "token")
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "incompatible"}


async def test_reauth_flow(
    hass: HomeAssistant, sidecar: Sidecar, mock_config_entry: MockConfigEntry
) -> None:
    """A wrong stored token fails setup with a reauth flow; the right token reloads the entry."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_TOKEN: "stale-token"}
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == "reauth"
    flow_id = flows[0]["flow_id"]
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["step_id"] == "reauth_confirm"

    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_TOKEN: "still-wrong"})
    assert result["errors"] == {CONF_TOKEN: "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_TOKEN: sidecar.token})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert mock_config_entry.data[CONF_TOKEN] == sidecar.token
    assert mock_config_entry.state is ConfigEntryState.LOADED


async def test_reconfigure_flow(
    hass: HomeAssistant, sidecar: Sidecar, mock_config_entry: MockConfigEntry
) -> None:
    """Move the entry to another address of the same sidecar; errors keep the form."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={**mock_config_entry.data, CONF_URL: f"http://127.0.0.1:{free_port()}"},
        unique_id=sidecar.instance_id,
    )
    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: f"http://127.0.0.1:{free_port()}"}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: sidecar.url, CONF_TOKEN: "wrong"}
    )
    assert result["errors"] == {CONF_TOKEN: "invalid_auth"}
    # No token given: the stored one is kept.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: sidecar.url}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert mock_config_entry.data == {CONF_URL: sidecar.url, CONF_TOKEN: sidecar.token}
    assert mock_config_entry.unique_id == sidecar.instance_id
    assert mock_config_entry.state is ConfigEntryState.LOADED
    # The name (and the entity ids made from it) does not follow the address.
    assert mock_config_entry.title == "Forge for ESPHome"


async def test_options_flow(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Options are saved and the entry reloads with them."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_REPAIR_GRACE_MINUTES: 2,
            CONF_VALIDATE_TIMEOUT: 60,
            CONF_DEFAULT_PRIORITY: "bulk",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert init_integration.options == {
        CONF_REPAIR_GRACE_MINUTES: 2,
        CONF_VALIDATE_TIMEOUT: 60,
        CONF_DEFAULT_PRIORITY: "bulk",
    }
    assert init_integration.state is ConfigEntryState.LOADED


async def test_setup_retries_when_unreachable(hass: HomeAssistant) -> None:
    """An unreachable sidecar at startup: ConfigEntryNotReady (HA retries later)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={CONF_URL: f"http://127.0.0.1:{free_port()}", CONF_TOKEN: "t"},
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_setup_incompatible_is_an_error(
    hass: HomeAssistant, fake_peer: dict[str, Any]
) -> None:
    """A peer that is not a compatible sidecar fails setup for good (no retry loop)."""
    fake_peer["body"] = {"product": "Forge for ESPHome", "apiVersion": 99}
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_URL: fake_peer["url"], CONF_TOKEN: "t"})
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
