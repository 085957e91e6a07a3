"""Config flow, discovered through the Supervisor: the real add-on's discovery message sets the
integration up with one click; a known add-on is updated; incomplete, refused or unreachable
discoveries abort with the reason."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.esphome_forge.const import CONF_FINGERPRINT, CONF_TOKEN, CONF_URL, DOMAIN
from homeassistant.config_entries import SOURCE_HASSIO, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.hassio import HassioServiceInfo

from .addon import FakeSupervisor, start_addon
from .conftest import async_wait_for
from .flows import free_port
from .sidecar import Sidecar


@pytest.fixture
async def addon(tmp_path: Path) -> AsyncGenerator[FakeSupervisor]:
    """The real add-on entry point running against a fake Supervisor; yields the Supervisor."""
    supervisor = FakeSupervisor()
    await supervisor.start()
    proc = start_addon(
        tmp_path / "addon",
        supervisor,
        {
            "admin_token_source": "generated",
            "local_worker_slots": 0,
            "trust_policy": "enforce",
            "allowed_hosts": [],
        },
    )
    try:
        await async_wait_for(
            lambda: bool(supervisor.discoveries), timeout=30, what="the add-on's discovery"
        )
        yield supervisor
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        await supervisor.stop()
        print((tmp_path / "addon" / "addon.log").read_text()[-4000:])  # noqa: T201


def _as_forwarded(message: dict[str, Any]) -> HassioServiceInfo:
    """What HA's hassio integration hands the flow for a Supervisor discovery message."""
    return HassioServiceInfo(
        config={**message["config"], "addon": "Forge for ESPHome"},
        name="Forge for ESPHome",
        slug="local_esphome_forge",
        uuid=message["uuid"],
    )


async def test_hassio_discovery_one_click(hass: HomeAssistant, addon: FakeSupervisor) -> None:
    """The add-on's own discovery message sets the integration up with one click, no token typed."""
    message = addon.discoveries[0]
    assert message["service"] == DOMAIN
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=_as_forwarded(message)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "hassio_confirm"
    assert result["description_placeholders"] == {"addon": "Forge for ESPHome"}
    assert result["data_schema"] is None  # nothing to type
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    # Over TLS, the add-on's key pinned by the fingerprint it announced (HA is not on its loopback).
    assert len(message["config"]["fingerprint"]) == 64
    assert entry.data == {
        CONF_URL: f"https://127.0.0.1:{message['config']['port']}",
        CONF_TOKEN: message["config"]["token"],
        CONF_FINGERPRINT: message["config"]["fingerprint"],
    }
    assert entry.unique_id == message["config"]["instance_id"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED  # the token works: the integration is connected


async def test_hassio_discovery_updates_known_sidecar(
    hass: HomeAssistant, addon: FakeSupervisor
) -> None:
    """The add-on set up before (same instance): its new address and token are taken, no second entry."""
    config = addon.discoveries[0]["config"]
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=config["instance_id"],
        data={CONF_URL: "http://192.0.2.1:7052", CONF_TOKEN: "old-token"},
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=_as_forwarded(addon.discoveries[0])
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_TOKEN] == config["token"]
    assert entry.data[CONF_URL] == f"https://127.0.0.1:{config['port']}"
    assert entry.data[CONF_FINGERPRINT] == config["fingerprint"]


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ({"host": "127.0.0.1", "port": 7052}, "invalid_discovery"),
        ({"host": "127.0.0.1", "port": "7052", "token": "t" * 40}, "invalid_discovery"),
        ({"host": "127.0.0.1", "token": "t" * 40}, "invalid_discovery"),
    ],
    ids=["no-token", "port-not-a-number", "no-port"],
)
async def test_hassio_discovery_incomplete(
    hass: HomeAssistant, config: dict[str, Any], reason: str
) -> None:
    """A discovery message without what is needed to connect is not offered."""
    info = HassioServiceInfo(
        config=config, name="Forge for ESPHome", slug="x_esphome_forge", uuid="1" * 32
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=info
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason


async def test_hassio_discovery_refused_or_unreachable(
    hass: HomeAssistant, sidecar: Sidecar
) -> None:
    """A token the sidecar refuses, or nobody at the address: abort with the reason, no entry."""
    wrong = HassioServiceInfo(
        config={"host": "127.0.0.1", "port": sidecar.port, "token": "w" * 43},
        name="Forge for ESPHome",
        slug="x_esphome_forge",
        uuid="2" * 32,
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=wrong
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "hassio_invalid_auth"
    gone = HassioServiceInfo(
        config={"host": "127.0.0.1", "port": free_port(), "token": sidecar.token},
        name="Forge for ESPHome",
        slug="x_esphome_forge",
        uuid="3" * 32,
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=gone
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"
    assert not hass.config_entries.async_entries(DOMAIN)
