"""The sidecar goes away and comes back: unavailable, repairs issue, resync, reauth."""

from __future__ import annotations

from datetime import timedelta

from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.esphome_forge.const import (
    DEFAULT_REPAIR_GRACE_MINUTES,
    DOMAIN,
    EVENT_JOB_FINISHED,
    ISSUE_UNREACHABLE,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from .conftest import ENTRY_ID, async_wait_for
from .sidecar import Sidecar

WATCHED = (
    "sensor.kitchen_build_status",
    "update.kitchen_firmware",
    "sensor.forge_for_esphome_queue_depth",
    "binary_sensor.forge_for_esphome_local_worker_online",
    "number.forge_for_esphome_local_worker_build_slots",
)


async def test_sidecar_killed_and_restarted(
    hass: HomeAssistant, sidecar: Sidecar, init_integration: MockConfigEntry
) -> None:
    """Killed: everything unavailable, an issue after the grace period. Back: resynced."""
    issue_id = f"{ISSUE_UNREACHABLE}_{ENTRY_ID}"
    issues = ir.async_get(hass)
    before = {entity_id: hass.states.get(entity_id).state for entity_id in WATCHED}
    assert STATE_UNAVAILABLE not in before.values()

    await hass.async_add_executor_job(sidecar.kill)
    await async_wait_for(
        lambda: all(hass.states.get(e).state == STATE_UNAVAILABLE for e in WATCHED),
        what="entities unavailable",
    )
    # No issue during the grace period…
    async_fire_time_changed(
        hass, dt_util.utcnow() + timedelta(minutes=DEFAULT_REPAIR_GRACE_MINUTES - 1)
    )
    await hass.async_block_till_done()
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    # …then one that says so.
    async_fire_time_changed(
        hass, dt_util.utcnow() + timedelta(minutes=DEFAULT_REPAIR_GRACE_MINUTES + 1)
    )
    await hass.async_block_till_done()
    issue = issues.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == ISSUE_UNREACHABLE
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders["url"] == sidecar.url

    await hass.async_add_executor_job(sidecar.restart)
    await async_wait_for(
        lambda: all(hass.states.get(e).state != STATE_UNAVAILABLE for e in WATCHED),
        what="entities back",
    )
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    assert init_integration.state is ConfigEntryState.LOADED
    await async_wait_for(
        lambda: (
            hass.states.get("binary_sensor.forge_for_esphome_local_worker_online").state == "on"
        ),
        what="worker back online",
    )

    # The stream works after the reconnect: a compile runs and its event arrives.
    finished = async_capture_events(hass, EVENT_JOB_FINISHED)
    await hass.services.async_call(
        DOMAIN, "compile", {"tag": ["kitchen"], "upload": False}, blocking=True
    )
    await async_wait_for(lambda: bool(finished), what="job finished after reconnect")
    assert finished[0].data["device"] == "kitchen"


async def test_job_finished_while_disconnected(
    hass: HomeAssistant, sidecar: Sidecar, init_integration: MockConfigEntry
) -> None:
    """A job that ends while the stream is down is reported from the resync snapshot."""
    finished = async_capture_events(hass, EVENT_JOB_FINISHED)
    response = await hass.services.async_call(
        DOMAIN, "compile", {"tag": ["office"], "upload": False}, blocking=True, return_response=True
    )
    job_id = response["job_ids"][0]
    await async_wait_for(
        lambda: hass.states.get("sensor.office_build_status").state == "running",
        what="office running",
    )
    # SIGKILL takes the local worker down too; the restarted sidecar requeues and reruns the job
    # once its lease lapses, or the new local worker continues it.
    await hass.async_add_executor_job(sidecar.kill)
    await async_wait_for(
        lambda: hass.states.get("sensor.office_build_status").state == STATE_UNAVAILABLE,
        what="unavailable",
    )
    await hass.async_add_executor_job(sidecar.restart)
    await async_wait_for(lambda: bool(finished), timeout=90, what="the job to end")
    assert finished[0].data["job_id"] == job_id
    assert len(finished) == 1


async def test_token_rotated_starts_reauth(
    hass: HomeAssistant, sidecar: Sidecar, init_integration: MockConfigEntry
) -> None:
    """The sidecar comes back with another admin token: the stream's 401 starts reauth."""
    await hass.async_add_executor_job(sidecar.stop)
    await hass.async_add_executor_job(sidecar.restart, "a-brand-new-admin-token-0123456789-42")

    def reauth_started() -> bool:
        return any(
            flow["context"]["source"] == "reauth"
            for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        )

    await async_wait_for(reauth_started, what="a reauth flow")
    flow = next(
        f
        for f in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if f["context"]["source"] == "reauth"
    )
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"token": "a-brand-new-admin-token-0123456789-42"}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED
    await async_wait_for(
        lambda: hass.states.get("sensor.kitchen_build_status").state != STATE_UNAVAILABLE,
        what="entities back after reauth",
    )
