"""Build slots of the built-in worker, set from HA, survive a sidecar restart (issue 11).

The flow a user goes through: raise the slots with the number entity, restart the sidecar, queue two
builds. Before the fix the sidecar kept the stored 2 slots while its local worker came back with
its command-line default of 1, so the second job was pushed to a full worker, released with "no
free slot (1 of 1 busy)" within milliseconds and burned all its attempts.
"""

from __future__ import annotations

from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.esphome_forge.const import DOMAIN, EVENT_JOB_FINISHED
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, callback

from .conftest import async_wait_for
from .sidecar import Sidecar

SLOTS = "number.forge_for_esphome_local_worker_build_slots"
ONLINE = "binary_sensor.forge_for_esphome_local_worker_online"
TOTAL_SLOTS = "sensor.forge_for_esphome_total_build_slots"


async def test_slots_set_in_ha_survive_a_sidecar_restart(
    hass: HomeAssistant, sidecar: Sidecar, init_integration: MockConfigEntry
) -> None:
    """Two slots set from HA, a restart, two queued jobs: both run side by side and succeed,
    each on its first attempt."""
    await hass.services.async_call(
        "number", "set_value", {"entity_id": SLOTS, "value": 2}, blocking=True
    )
    await async_wait_for(lambda: hass.states.get(TOTAL_SLOTS).state == "2", what="2 slots")

    await hass.async_add_executor_job(sidecar.stop)
    await async_wait_for(
        lambda: hass.states.get(SLOTS).state == STATE_UNAVAILABLE, what="sidecar gone"
    )
    await hass.async_add_executor_job(sidecar.restart)
    await async_wait_for(
        lambda: (
            hass.states.get(ONLINE).state == "on" and hass.states.get(SLOTS).state != "unavailable"
        ),
        what="the local worker back",
    )
    await hass.async_block_till_done()
    # What the user set is what the sidecar reports after the restart …
    assert hass.states.get(SLOTS).state == "2"
    assert hass.states.get(TOTAL_SLOTS).state == "2"

    # … and what the worker really runs: two builds at once (office is the slow one).
    data = init_integration.runtime_data.coordinator.data
    overlap: list[set[int]] = []

    @callback
    def watch() -> None:
        running = {j["id"] for j in data.jobs.values() if j["state"] == "running"}
        if len(running) >= 2:
            overlap.append(running)

    unsub = init_integration.runtime_data.coordinator.async_add_listener(watch)
    finished = async_capture_events(hass, EVENT_JOB_FINISHED)
    response = await hass.services.async_call(
        DOMAIN,
        "compile",
        {"tag": ["office", "kitchen"], "upload": False},
        blocking=True,
        return_response=True,
    )
    job_ids = set(response["job_ids"])
    assert len(job_ids) == 2
    await async_wait_for(lambda: len(finished) == 2, what="both jobs finished")
    unsub()

    results = {e.data["job_id"]: (e.data["result"], e.data["error"]) for e in finished}
    assert results == dict.fromkeys(job_ids, ("succeeded", None)), results
    client = init_integration.runtime_data.client
    for job_id in job_ids:
        job = await client.job(job_id)
        # A worker's "no free slot" release is the sidecar's mistake and never costs an attempt.
        assert job["attempts"] == 1, job
        assert "no free slot" not in await client.job_log(job_id)
    assert any(running == job_ids for running in overlap), overlap
