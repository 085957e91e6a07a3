"""Names and entity ids: short and stable for the hub, distinct workers for two sidecars, and an
upgrade from the old host:port titles that renames devices without touching entity ids."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.esphome_forge.const import CONF_TOKEN, CONF_URL, DOMAIN
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er

from .conftest import ADMIN_TOKEN, ENTRY_ID, async_wait_for
from .sidecar import DEVICES, Sidecar


@pytest.fixture
def second_sidecar(tmp_path: Path) -> Generator[Sidecar]:
    """Another sidecar on the same machine (another port, its own data and local worker)."""
    proc = Sidecar(data_dir=tmp_path / "second", token=ADMIN_TOKEN)
    proc.write_devices({"porch.yaml": DEVICES["porch.yaml"]})
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


async def _add(hass: HomeAssistant, sidecar: Sidecar) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: sidecar.url, CONF_TOKEN: sidecar.token}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    return result["result"].entry_id


def _hub_queue_depth(hass: HomeAssistant, entry_id: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry_id}:hub:queue_depth"
    )
    assert entity_id is not None
    return entity_id


def _local_worker_device(hass: HomeAssistant, entry_id: str) -> dr.DeviceEntry:
    ent_reg = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(ent_reg, entry_id):
        if entity.unique_id.endswith(":online"):
            return dr.async_get(hass).async_get(entity.device_id)
    raise AssertionError("no worker entity")


async def test_two_sidecars_have_short_distinct_names(
    hass: HomeAssistant, sidecar: Sidecar, second_sidecar: Sidecar
) -> None:
    """The first sidecar is "Forge for ESPHome"; a second one adds its host, never a port; their
    built-in workers are told apart by the sidecar they belong to."""
    first = await _add(hass, sidecar)
    second = await _add(hass, second_sidecar)
    assert hass.config_entries.async_get_entry(first).title == "Forge for ESPHome"
    assert hass.config_entries.async_get_entry(second).title == "Forge for ESPHome (127.0.0.1)"
    assert _hub_queue_depth(hass, first) == "sensor.forge_for_esphome_queue_depth"
    assert _hub_queue_depth(hass, second) == "sensor.forge_for_esphome_127_0_0_1_queue_depth"

    for entry_id in (first, second):
        await async_wait_for(
            lambda entry_id=entry_id: any(
                e.unique_id.endswith(":online")
                for e in er.async_entries_for_config_entry(er.async_get(hass), entry_id)
            ),
            what="the local worker's entities",
        )
    names = {_local_worker_device(hass, e).name for e in (first, second)}
    assert names == {
        "Forge for ESPHome local worker",
        "Forge for ESPHome (127.0.0.1) local worker",
    }
    assert hass.states.get("number.forge_for_esphome_local_worker_build_slots").state == "1"


async def test_upgrade_keeps_entity_ids_and_renames_devices(
    hass: HomeAssistant, sidecar: Sidecar
) -> None:
    """An entry made before 1.2 ("Forge for ESPHome (host:port)") gets the short title: devices
    and friendly names follow, the entity ids users put in automations stay."""
    legacy = f"Forge for ESPHome (127.0.0.1:{sidecar.port})"
    old_id = f"sensor.forge_for_esphome_127_0_0_1_{sidecar.port}_queue_depth"
    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id=ENTRY_ID,
        title=legacy,
        unique_id=sidecar.instance_id,
        data={CONF_URL: sidecar.url, CONF_TOKEN: sidecar.token},
        version=1,
        minor_version=1,
    )
    entry.add_to_hass(hass)
    # What the old version registered.
    er.async_get(hass).async_get_or_create(
        "sensor",
        DOMAIN,
        f"{ENTRY_ID}:hub:queue_depth",
        config_entry=entry,
        suggested_object_id=old_id.removeprefix("sensor."),
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    assert (entry.title, entry.minor_version) == ("Forge for ESPHome", 2)
    assert _hub_queue_depth(hass, ENTRY_ID) == old_id
    state = hass.states.get(old_id)
    assert state.state == "0"
    assert state.attributes["friendly_name"] == "Forge for ESPHome Queue depth"
    hub = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, ENTRY_ID)})
    assert hub.name == "Forge for ESPHome"


async def test_upgrade_keeps_a_title_the_user_chose(hass: HomeAssistant, sidecar: Sidecar) -> None:
    """A renamed entry is left alone; its hub and worker devices carry that name."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id=ENTRY_ID,
        title="Garage builds",
        unique_id=sidecar.instance_id,
        data={CONF_URL: sidecar.url, CONF_TOKEN: sidecar.token},
        version=1,
        minor_version=1,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert (entry.title, entry.minor_version) == ("Garage builds", 2)
    await async_wait_for(
        lambda: hass.states.get("binary_sensor.garage_builds_local_worker_online") is not None,
        what="the local worker",
    )
    assert _local_worker_device(hass, ENTRY_ID).name == "Garage builds local worker"
    assert _hub_queue_depth(hass, ENTRY_ID) == "sensor.garage_builds_queue_depth"
