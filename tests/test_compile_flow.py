"""The main path, end to end: config flow → entities → compile from an automation → job runs →
build status and update progress move → `esphome_forge_job_finished` fires → states settle.
"""

from __future__ import annotations

from typing import Any

from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.esphome_forge.const import CONF_TOKEN, CONF_URL, DOMAIN, EVENT_JOB_FINISHED
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.setup import async_setup_component

from .conftest import async_wait_for
from .sidecar import Sidecar


async def test_config_flow_to_compile_and_event(hass: HomeAssistant, sidecar: Sidecar) -> None:
    """The whole user journey against the real sidecar and its stand-in ESPHome."""
    # --- config flow -------------------------------------------------------------------------
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: f"{sidecar.url}/api/v1/", CONF_TOKEN: sidecar.token}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_URL: sidecar.url, CONF_TOKEN: sidecar.token}
    entry = result["result"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    # --- entities appear ---------------------------------------------------------------------
    ent_reg = er.async_get(hass)

    def eid(platform: str, key: str) -> str:
        entity_id = ent_reg.async_get_entity_id(
            platform, DOMAIN, f"{entry.entry_id}:device:office:{key}"
        )
        assert entity_id is not None
        return entity_id

    build_status = eid("sensor", "build_status")
    update = eid("update", "update")
    assert hass.states.get(build_status).state == "idle"
    assert hass.states.get(update).attributes["in_progress"] is False
    office_device = ent_reg.async_get(build_status).device_id
    assert office_device is not None

    # Record every state the build-status sensor and the update entity pass through.
    seen_status: list[str] = []
    seen_update: list[dict[str, Any]] = []

    @callback
    def record(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is None:
            return
        if new.entity_id == build_status:
            seen_status.append(new.state)
        else:
            seen_update.append(
                {
                    "state": new.state,
                    "in_progress": new.attributes.get("in_progress"),
                    "update_percentage": new.attributes.get("update_percentage"),
                }
            )

    unsub = async_track_state_change_event(hass, [build_status, update], record)

    # --- compile from an automation (service call with response_variable) --------------------
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "alias": "Rebuild the office node",
                "triggers": [{"trigger": "event", "event_type": "forge_test_go"}],
                "actions": [
                    {
                        "action": "esphome_forge.compile",
                        "target": {"device_id": office_device},
                        "data": {"upload": True},
                        "response_variable": "result",
                    },
                    {
                        "event": "forge_test_compiled",
                        "event_data": {"job_ids": "{{ result.job_ids }}"},
                    },
                ],
            }
        },
    )
    compiled = async_capture_events(hass, "forge_test_compiled")
    finished = async_capture_events(hass, EVENT_JOB_FINISHED)
    hass.bus.async_fire("forge_test_go")
    await async_wait_for(lambda: bool(compiled), what="the automation's compile call")
    job_ids = compiled[0].data["job_ids"]
    assert isinstance(job_ids, list)
    assert len(job_ids) == 1
    job_id = job_ids[0]

    # --- the job runs: build status and update progress move ----------------------------------
    await async_wait_for(
        lambda: hass.states.get(build_status).state == "running", what="a running build"
    )
    running = hass.states.get(build_status).attributes
    assert running["job_id"] == job_id
    assert running["action"] == "compile_upload"
    assert running["worker"]
    assert running["started"]
    assert hass.states.get(update).attributes["in_progress"] is True
    running_jobs = ent_reg.async_get_entity_id(
        "sensor", DOMAIN, f"{entry.entry_id}:hub:running_jobs"
    )
    assert hass.states.get(running_jobs).state == "1"

    # --- the event fires and the states settle -----------------------------------------------
    await async_wait_for(lambda: bool(finished), what="esphome_forge_job_finished")
    await hass.async_block_till_done()
    data = finished[0].data
    assert data["job_id"] == job_id
    assert data["device"] == "office"
    assert data["device_id"] == office_device
    assert data["config_entry_id"] == entry.entry_id
    assert data["action"] == "compile_upload"
    assert data["result"] == "succeeded"
    assert data["duration"] > 2.0  # the office stand-in sleeps 2.5 s
    assert len(data["firmware_sha256"]) == 64
    assert data["error"] is None

    await async_wait_for(
        lambda: hass.states.get(build_status).state == "succeeded", what="settled status"
    )
    done = hass.states.get(build_status).attributes
    assert done["job_id"] == job_id
    assert done["firmware_sha256"] == data["firmware_sha256"]
    assert done["duration"] > 2.0
    assert done["last_error"] is None

    assert hass.states.get(running_jobs).state == "0"
    settled = hass.states.get(update)
    assert settled.state == STATE_OFF
    assert settled.attributes["in_progress"] is False
    assert settled.attributes["installed_version"] == settled.attributes["latest_version"]
    assert settled.attributes["installed_version"].startswith("2026.10.0+")
    unsub()

    # The states went through queued/running to succeeded; the update showed its progress.
    assert "running" in seen_status
    assert seen_status[-1] == "succeeded"
    assert any(u["in_progress"] for u in seen_update)
    assert any(u["update_percentage"] is not None for u in seen_update), seen_update
    assert seen_update[-1]["in_progress"] is False
    # Exactly one event per job.
    await hass.async_block_till_done()
    assert [e.data["job_id"] for e in finished] == [job_id]


async def test_update_install_and_failed_build(hass: HomeAssistant, init_integration) -> None:
    """update.install queues compile+OTA; a failing build shows `failed` and its error."""
    finished = async_capture_events(hass, EVENT_JOB_FINISHED)
    update = "update.porch_firmware"
    # Forge never flashed it and ESPHome does not know it: Install is offered all the same.
    before = hass.states.get(update)
    assert before.state == STATE_ON
    assert before.attributes["installed_version"] == "unknown"
    assert before.attributes["release_summary"].startswith("Installed version unknown")

    await hass.services.async_call("update", "install", {"entity_id": update}, blocking=True)
    await async_wait_for(lambda: bool(finished), what="porch build")
    await async_wait_for(lambda: hass.states.get(update).state == STATE_OFF, what="porch flashed")
    assert hass.states.get("sensor.porch_build_status").state == "succeeded"

    # The shed's compile fails in the stand-in: the compile button's job fails.
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.shed_compile"}, blocking=True
    )
    await async_wait_for(lambda: len(finished) == 2, what="shed build")
    assert finished[1].data["device"] == "shed"
    assert finished[1].data["action"] == "compile"
    assert finished[1].data["result"] == "failed"
    assert finished[1].data["error"]
    await async_wait_for(
        lambda: hass.states.get("sensor.shed_build_status").state == "failed",
        what="shed failed",
    )
    attrs = hass.states.get("sensor.shed_build_status").attributes
    assert attrs["last_error"] == finished[1].data["error"]
    # A compile without upload does not touch what runs on the device.
    assert hass.states.get("update.shed_firmware").attributes["installed_version"] == "unknown"
    # A succeeded compile-only build changes nothing for the update entity either.
    assert hass.states.get(update).state == STATE_OFF
