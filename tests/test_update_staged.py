"""Build now, flash later, and armed installs, as the update entity and the services show and do them.

Real sidecar (its stand-in builder and flasher), real HA update platform: a staged build and its
install without recompiling, an offline device armed (its flash waits in `waiting_for_device`) and
flashed once HA reports it back, cancel while armed, the `when_online` service and commands.
"""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.esphome_forge.const import DOMAIN
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util

from .conftest import async_wait_for, node_entity
from .sidecar import DEVICES, Sidecar

UPDATE = "update.porch_firmware"


def _jobs(entry: MockConfigEntry) -> dict[int, Any]:
    return entry.runtime_data.coordinator.data.jobs


def _porch(entry: MockConfigEntry) -> dict[str, Any]:
    return entry.runtime_data.coordinator.data.devices["porch"]


async def _compile_only(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Build the porch without flashing it; return its staged firmware once the sidecar has it."""
    created = await entry.runtime_data.client.create_jobs("compile", ["porch"], source="ha")
    job_id = created["jobs"][0]["jobId"]
    await async_wait_for(
        lambda: (_porch(entry).get("storedFirmware") or {}).get("jobId") == job_id,
        what="the porch's staged build",
    )
    await hass.async_block_till_done()
    return dict(_porch(entry)["storedFirmware"])


async def _install_job(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Press Install; return the one job it created."""
    jobs = _jobs(entry)
    before = set(jobs)
    await hass.services.async_call("update", "install", {"entity_id": UPDATE}, blocking=True)
    await async_wait_for(lambda: set(jobs) - before, what="the install's job")
    [new] = [jobs[j] for j in set(jobs) - before]
    return new


async def test_staged_build_is_installed_without_recompiling(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A current staged build: the summary names it, Install flashes exactly it (an upload)."""
    stored = await _compile_only(hass, init_integration)
    assert stored["current"] is True
    state = hass.states.get(UPDATE)
    assert state.state == STATE_ON
    summary = state.attributes["release_summary"]
    assert summary.startswith(
        f"Staged: build #{stored['jobId']}, ESPHome {stored['esphomeVersion']} (current)."
    )
    assert summary.endswith("Install flashes the staged build (no recompile).")

    job = await _install_job(hass, init_integration)
    assert job["action"] == "upload"
    assert job["params"]["firmwareSha256"] == stored["firmwareSha256"]
    assert "whenOnline" not in job["params"]
    await async_wait_for(
        lambda: _jobs(init_integration)[job["id"]]["state"] == "succeeded", what="flashed"
    )
    await async_wait_for(lambda: hass.states.get(UPDATE).state == STATE_OFF, what="up to date")
    state = hass.states.get(UPDATE)
    assert state.attributes["installed_version"] == state.attributes["latest_version"]
    # What runs is the staged build: nothing staged is news any more.
    flashed = _porch(init_integration)["lastFlash"]
    assert flashed["jobId"] == job["id"]
    assert flashed["configHash"] == stored["configHash"]
    assert state.attributes["release_summary"] is None, (flashed, stored)

    # A later build that is not current (say, a trial of another ESPHome) next to an up-to-date
    # device is not news: no Install is offered, so the summary stays empty.
    trial = {**stored, "jobId": job["id"] + 1, "firmwareSha256": "e" * 64, "current": False}
    trial["esphomeVersion"] = "2026.11.0b1"
    device = {**_porch(init_integration), "storedFirmware": trial}
    coordinator = init_integration.runtime_data.coordinator
    coordinator.handle_event(
        {"type": "device", "op": "upsert", "id": "porch", "device": device, "seq": 0}
    )
    await hass.async_block_till_done()
    assert hass.states.get(UPDATE).state == STATE_OFF
    assert hass.states.get(UPDATE).attributes["release_summary"] is None


async def test_stale_staged_build_is_rebuilt(
    hass: HomeAssistant, sidecar: Sidecar, init_integration: MockConfigEntry
) -> None:
    """The config changed after the build: the summary says not current, Install compiles."""
    stored = await _compile_only(hass, init_integration)
    sidecar.write_devices({"porch.yaml": DEVICES["porch.yaml"] + "logger:\n"})
    await async_wait_for(
        lambda: _porch(init_integration)["storedFirmware"].get("current") is False,
        what="the staged build no longer current",
    )
    await hass.async_block_till_done()
    summary = hass.states.get(UPDATE).attributes["release_summary"]
    assert summary.startswith(
        f"Staged: build #{stored['jobId']}, ESPHome {stored['esphomeVersion']}"
        " (not current: Install builds afresh)."
    )
    assert "Install builds its current config" in summary

    job = await _install_job(hass, init_integration)
    assert job["action"] == "compile_upload"
    assert "firmwareSha256" not in job["params"]


async def _arm_porch(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Porch goes offline (as HA's ESPHome integration reports it); Install arms it; its flash waits."""
    await entry.runtime_data.client.report_presence("porch", {"online": False})
    await async_wait_for(lambda: _porch(entry).get("online") is False, what="offline")
    await hass.async_block_till_done()
    assert (
        hass.states.get(UPDATE)
        .attributes["release_summary"]
        .startswith("Porch is offline: Install builds now and flashes it when it is back online.")
    )
    job = await _install_job(hass, entry)
    assert job["action"] == "compile_upload"
    assert job["params"]["whenOnline"] is True
    # The build runs now; the flash waits for the device.
    await async_wait_for(
        lambda: _jobs(entry)[job["id"]]["state"] == "waiting_for_device",
        what="the flash waiting for porch",
    )
    await hass.async_block_till_done()
    return _jobs(entry)[job["id"]]


async def test_install_on_an_offline_device_arms_it(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Offline: Install arms the flash; the summary says so and until when, no spinner for days;
    the flash goes when the device is back."""
    waiting = await _arm_porch(hass, init_integration)
    assert waiting["waitingUntil"]
    state = hass.states.get(UPDATE)
    until = dt_util.as_local(dt_util.parse_datetime(waiting["waitingUntil"]))
    assert state.attributes["release_summary"].startswith(
        f"Armed: flashes when Porch is back online, until {until.strftime('%Y-%m-%d %H:%M')}"
        f" (job #{waiting['id']})."
    )
    assert state.attributes["in_progress"] is False
    assert state.attributes["update_percentage"] is None

    status = hass.states.get(node_entity(hass, "sensor", "porch", "build_status"))
    assert status.state == "waiting_for_device"
    assert status.attributes["blocked_reason"] == waiting["blockedReason"]
    assert "porch" in status.attributes["blocked_reason"]
    assert status.attributes["waiting_until"] == waiting["waitingUntil"]

    # The armed flash holds the staged build: flashing it again is refused, and nothing is queued.
    before = set(_jobs(init_integration))
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call("update", "install", {"entity_id": UPDATE}, blocking=True)
    assert err.value.translation_key == "install_already_armed"
    assert f"job {waiting['id']} flashes the staged build" in str(err.value)
    assert set(_jobs(init_integration)) == before

    # The device is back (HA's ESPHome integration sees it): the armed flash goes.
    await init_integration.runtime_data.client.report_presence("porch", {"online": True})
    await async_wait_for(
        lambda: _jobs(init_integration)[waiting["id"]]["state"] == "succeeded",
        what="the armed flash done",
    )
    await async_wait_for(lambda: hass.states.get(UPDATE).state == STATE_OFF, what="up to date")
    assert "Armed" not in (hass.states.get(UPDATE).attributes["release_summary"] or "")


async def test_a_config_change_rearms_with_a_fresh_build(
    hass: HomeAssistant, sidecar: Sidecar, init_integration: MockConfigEntry
) -> None:
    """Armed, then the config changes: Install builds afresh and that build replaces the armed flash."""
    first = await _arm_porch(hass, init_integration)
    sidecar.write_devices({"porch.yaml": DEVICES["porch.yaml"] + "logger:\n"})
    await async_wait_for(
        lambda: _porch(init_integration)["storedFirmware"].get("current") is False,
        what="the armed build no longer current",
    )
    await hass.async_block_till_done()
    job = await _install_job(hass, init_integration)
    assert job["action"] == "compile_upload"
    assert job["params"] == {"whenOnline": True}
    jobs = _jobs(init_integration)
    await async_wait_for(
        lambda: jobs[job["id"]]["state"] == "waiting_for_device", what="the new build armed"
    )
    await async_wait_for(lambda: jobs[first["id"]]["state"] == "cancelled", what="superseded")
    await hass.async_block_till_done()
    assert (
        hass.states.get(UPDATE)
        .attributes["release_summary"]
        .startswith("Armed: flashes when Porch is back online, until ")
    )
    assert f"(job #{job['id']})." in hass.states.get(UPDATE).attributes["release_summary"]


async def test_an_armed_install_can_be_cancelled(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Cancel ends the wait at once; the summary no longer says armed and Install is offered again."""
    waiting = await _arm_porch(hass, init_integration)
    await hass.services.async_call(
        DOMAIN, "cancel", {"job_id": [waiting["id"]]}, blocking=True, return_response=True
    )
    await async_wait_for(
        lambda: _jobs(init_integration)[waiting["id"]]["state"] == "cancelled", what="cancelled"
    )
    await hass.async_block_till_done()
    state = hass.states.get(UPDATE)
    assert state.state == STATE_ON
    assert not state.attributes["release_summary"].startswith("Armed")
    assert hass.states.get(node_entity(hass, "sensor", "porch", "build_status")).state == (
        "cancelled"
    )


async def test_compile_service_arms_outdated_devices(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """`compile` with `when_online`: "update all outdated when online" in one action."""
    result = await hass.services.async_call(
        DOMAIN,
        "compile",
        {"outdated": True, "when_online": True, "priority": "bulk"},
        blocking=True,
        return_response=True,
    )
    assert result["job_ids"]
    jobs = _jobs(init_integration)
    await async_wait_for(lambda: set(result["job_ids"]) <= set(jobs), what="the armed jobs")
    for job_id in result["job_ids"]:
        assert jobs[job_id]["action"] == "compile_upload"
        assert jobs[job_id]["params"]["whenOnline"] is True

    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "compile", {"all": True, "upload": False, "when_online": True}, blocking=True
        )
    assert err.value.translation_key == "when_online_needs_upload"


async def test_card_commands_arm_with_when_online(
    hass: HomeAssistant, init_integration: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """The card's compile and upload commands pass `when_online` on as the job's `whenOnline`."""
    client = await hass_ws_client(hass)
    await _compile_only(hass, init_integration)
    await client.send_json_auto_id(
        {"type": "esphome_forge/upload", "device_ids": ["porch"], "when_online": True}
    )
    uploaded = await client.receive_json()
    assert uploaded["success"], uploaded
    await client.send_json_auto_id(
        {"type": "esphome_forge/compile", "device_ids": ["kitchen"], "when_online": True}
    )
    compiled = await client.receive_json()
    assert compiled["success"], compiled
    jobs = _jobs(init_integration)
    for result, action in ((compiled, "compile_upload"), (uploaded, "upload")):
        job_id = result["result"]["jobs"][0]["jobId"]
        await async_wait_for(lambda job_id=job_id: job_id in jobs, what=f"job {job_id}")
        assert jobs[job_id]["action"] == action
        assert jobs[job_id]["params"] == {"whenOnline": True}
    # Not a boolean, or without upload: refused.
    for bad in ({"when_online": "soon"}, {"when_online": True, "upload": False}):
        await client.send_json_auto_id(
            {"type": "esphome_forge/compile", "device_ids": ["porch"], **bad}
        )
        refused = await client.receive_json()
        assert not refused["success"], bad
        assert refused["error"]["code"] == "invalid_format", refused
