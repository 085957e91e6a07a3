"""Fixtures: real Home Assistant (pytest-homeassistant-custom-component) and a real sidecar."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from pathlib import Path
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.esphome_forge.const import CONF_TOKEN, CONF_URL, DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from .sidecar import DEVICES, Sidecar

ADMIN_TOKEN = "forge-test-admin-token-0123456789"
ENTRY_ID = "01JFORGETESTENTRY000000000"
WAIT_TIMEOUT = 30.0


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/esphome_forge in every test."""


@pytest.fixture(autouse=True)
def allow_loopback_sockets(socket_enabled: None) -> None:
    """Let HA open sockets: the tests talk to a real sidecar process on 127.0.0.1."""


@pytest.fixture(autouse=True)
def fast_reconnect() -> Generator[None]:
    """Reconnect quickly so restart tests do not wait for production backoff."""
    with (
        patch("custom_components.esphome_forge.events_stream.BACKOFF_INITIAL", 0.1),
        patch("custom_components.esphome_forge.events_stream.BACKOFF_MAX", 0.5),
    ):
        yield


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots with Home Assistant's serializer."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def sidecar_devices() -> dict[str, str]:
    """Device YAMLs written into the sidecar's config folder before it starts."""
    return DEVICES


@pytest.fixture
def sidecar(tmp_path: Path, sidecar_devices: dict[str, str]) -> Generator[Sidecar]:
    """A running sidecar with its local worker and the ESPHome stand-in."""
    proc = Sidecar(data_dir=tmp_path / "sidecar", token=ADMIN_TOKEN)
    proc.write_devices(sidecar_devices)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()
        # Shown by pytest only when the test failed.
        print(f"--- sidecar log (last start) ---\n{proc.log()[-6000:]}")  # noqa: T201


@pytest.fixture
def mock_config_entry(sidecar: Sidecar) -> MockConfigEntry:
    """An entry pointing at the fixture sidecar."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=ENTRY_ID,
        title="Forge for ESPHome",
        unique_id=sidecar.instance_id,
        data={CONF_URL: sidecar.url, CONF_TOKEN: sidecar.token},
    )


async def async_wait_for(
    predicate: Callable[[], bool],
    timeout: float = WAIT_TIMEOUT,
    what: str = "condition",
) -> None:
    """Poll until `predicate()` holds (the sidecar works in real time)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The integration set up against the fixture sidecar, every entity added."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    # Worker entities appear once the local worker has registered with the sidecar.
    await async_wait_for(
        lambda: hass.states.get("binary_sensor.forge_for_esphome_local_worker_online") is not None,
        what="the local worker's entities",
    )
    await hass.async_block_till_done()
    return mock_config_entry


def entity_id_for(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    """Entity id from our unique id."""
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    return entity_id


def node_entity(hass: HomeAssistant, platform: str, device: str, key: str) -> str:
    """Entity id of a per-node entity."""
    return entity_id_for(hass, platform, f"{ENTRY_ID}:device:{device}:{key}")
