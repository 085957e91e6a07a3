"""Config flow, discovered over mDNS: a real advertisement from a real sidecar, a known sidecar at a
new address, advertisements this integration cannot talk to, and an address that answers as another
sidecar."""

from __future__ import annotations

from collections.abc import Generator
from ipaddress import ip_address
import json
from pathlib import Path

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import pytest_socket

from custom_components.esphome_forge.const import CONF_FINGERPRINT, CONF_TOKEN, CONF_URL, DOMAIN
from custom_components.esphome_forge.tls_pin import format_fingerprint
from homeassistant.config_entries import SOURCE_ZEROCONF
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo

from .conftest import ADMIN_TOKEN
from .flows import user_flow
from .mdns import LAN_IPV4, browse
from .sidecar import Sidecar

MANIFEST = "custom_components/esphome_forge/manifest.json"


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
    result = await user_flow(hass, f"http://127.0.0.1:{lan_sidecar.port}", lan_sidecar.token)
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
