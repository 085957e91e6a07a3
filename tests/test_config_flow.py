"""Config flow: user step (real sidecar), every error branch, zeroconf, add-on discovery, reauth, reconfigure, options."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from ipaddress import ip_address
import json
from pathlib import Path
import socket
from typing import Any

from aiohttp import web
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import pytest_socket

from custom_components.esphome_forge.const import (
    CONF_DEFAULT_PRIORITY,
    CONF_FINGERPRINT,
    CONF_REPAIR_GRACE_MINUTES,
    CONF_TOKEN,
    CONF_URL,
    CONF_VALIDATE_TIMEOUT,
    DOMAIN,
)
from custom_components.esphome_forge.tls_pin import format_fingerprint
from homeassistant.config_entries import (
    SOURCE_HASSIO,
    SOURCE_USER,
    SOURCE_ZEROCONF,
    ConfigEntryState,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.hassio import HassioServiceInfo
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo

from .addon import FakeSupervisor, start_addon
from .conftest import ADMIN_TOKEN, async_wait_for
from .mdns import LAN_IPV4, browse
from .sidecar import Sidecar

MANIFEST = "custom_components/esphome_forge/manifest.json"


def _free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


async def _user_flow(hass: HomeAssistant, url: str, token: str) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: url, CONF_TOKEN: token}
    )


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

    result = await attempt(f"http://127.0.0.1:{_free_port()}", sidecar.token)
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
    result = await _user_flow(hass, sidecar.url, sidecar.token)
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
    result = await _user_flow(hass, fake_peer["url"], "token")
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "incompatible"}


@pytest.fixture
def lan_sidecar(tmp_path: Path) -> Generator[Sidecar]:
    """A sidecar on all interfaces with zeroconf on: it advertises `_esphome-forge._tcp`."""
    if not LAN_IPV4:
        pytest.skip("no non-loopback IPv4 interface: mDNS needs a multicast-capable one")
    proc = Sidecar(
        data_dir=tmp_path / "lan-sidecar",
        token=ADMIN_TOKEN,
        host="0.0.0.0",
        env={"FORGE_ZEROCONF": "on"},
    )
    proc.write_devices({})
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def _manifest_zeroconf_type() -> str:
    manifest = json.loads((Path(__file__).parent.parent / MANIFEST).read_text())
    [service_type] = manifest["zeroconf"]
    return service_type


async def test_zeroconf_discovery(hass: HomeAssistant, lan_sidecar: Sidecar) -> None:
    """A real advertisement, found by a real mDNS browse for the manifest's type, fed to the flow
    exactly as HA's zeroconf integration would: confirm with the token; rediscovery aborts."""
    info = await hass.async_add_executor_job(
        browse, _manifest_zeroconf_type(), lan_sidecar.instance_id
    )
    assert info.port == lan_sidecar.port
    assert str(info.ip_address) in LAN_IPV4
    # HA's test harness lets sockets reach 127.0.0.1 only; the flow connects to the advertised
    # address, which is this machine's own LAN address.
    pytest_socket.socket_allow_hosts(["127.0.0.1", str(info.ip_address)])
    assert info.properties == {
        "id": lan_sidecar.instance_id,
        "api": "1",
        "version": info.properties["version"],
        "path": "/api/v1",
        "fp": lan_sidecar.fingerprint,
    }
    # The fingerprint in TXT: https to the advertised address, pinned to that key.
    url = f"https://{info.host}:{lan_sidecar.port}"
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "zeroconf_confirm"
    assert result["description_placeholders"] == {
        "url": url,
        "version": info.properties["version"],
        "fingerprint": format_fingerprint(lan_sidecar.fingerprint),
    }

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: "wrong-token"}
    )
    assert result["errors"] == {CONF_TOKEN: "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: lan_sidecar.token}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_URL: url,
        CONF_TOKEN: lan_sidecar.token,
        CONF_FINGERPRINT: lan_sidecar.fingerprint,
    }
    assert result["result"].unique_id == lan_sidecar.instance_id
    await hass.async_block_till_done()

    # Discovered again (e.g. after a restart): already configured, nothing to confirm.
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    # A sidecar configured by hand (same instance id) is recognised too.
    await hass.config_entries.async_remove(result_entry_id(hass))
    result = await _user_flow(hass, f"http://127.0.0.1:{lan_sidecar.port}", lan_sidecar.token)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


def result_entry_id(hass: HomeAssistant) -> str:
    """The one entry of this integration."""
    [entry] = hass.config_entries.async_entries(DOMAIN)
    return entry.entry_id


def _advertised(instance_id: str, **overrides: str) -> ZeroconfServiceInfo:
    """An advertisement with the sidecar's TXT keys (see test_zeroconf_discovery for the real one)."""
    return ZeroconfServiceInfo(
        ip_address=ip_address("192.0.2.7"),
        ip_addresses=[ip_address("192.0.2.7")],
        hostname="forge.local.",
        name=f"Forge for ESPHome {instance_id[:8]}._esphome-forge._tcp.local.",
        port=7052,
        type="_esphome-forge._tcp.local.",
        properties={
            "id": instance_id,
            "api": "1",
            "version": "0.1.0",
            "path": "/api/v1",
            **overrides,
        },
    )


async def test_zeroconf_updates_moved_sidecar(hass: HomeAssistant) -> None:
    """A known sidecar (by its advertised instance id) found at a new address."""
    instance = "0123456789abcdef0123456789abcdef"
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=instance,
        data={CONF_URL: "http://192.0.2.1:7052", CONF_TOKEN: "t"},
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_advertised(instance)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_URL] == "http://192.0.2.7:7052"


@pytest.mark.parametrize(
    "overrides",
    [{"api": "2"}, {"path": "/api/v2"}, {"id": ""}],
    ids=["other-api-version", "other-api-path", "no-instance-id"],
)
async def test_zeroconf_incompatible(hass: HomeAssistant, overrides: dict[str, str]) -> None:
    """An advertisement this integration cannot talk to is not offered."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=_advertised("0123456789abcdef0123456789abcdef", **overrides),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "incompatible"


async def test_zeroconf_confirm_other_sidecar(hass: HomeAssistant, sidecar: Sidecar) -> None:
    """The discovered address answers as another sidecar than advertised: abort, no entry."""
    info = _advertised("f" * 32)
    info = ZeroconfServiceInfo(
        ip_address=ip_address("127.0.0.1"),
        ip_addresses=[ip_address("127.0.0.1")],
        hostname=info.hostname,
        name=info.name,
        port=sidecar.port,
        type=info.type,
        properties=info.properties,
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: sidecar.token}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_sidecar"
    assert not hass.config_entries.async_entries(DOMAIN)


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
        data={**mock_config_entry.data, CONF_URL: f"http://127.0.0.1:{_free_port()}"},
        unique_id=sidecar.instance_id,
    )
    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: f"http://127.0.0.1:{_free_port()}"}
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
        data={CONF_URL: f"http://127.0.0.1:{_free_port()}", CONF_TOKEN: "t"},
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
        config={"host": "127.0.0.1", "port": _free_port(), "token": sidecar.token},
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
