"""Build now, flash later, and armed installs, as the update entity and the services show and do them.

Real sidecar, real HA update platform. The staged build, its install without recompiling and the
arming of an offline device run against the real sidecar. A job waiting in `waiting_for_device`
is fed to the coordinator as the sidecar's own `job` event would carry it (the state is the
sidecar's to reach; these tests check how HA shows it).
"""

from __future__ import annotations

from datetime import timedelta
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
# Far beyond the ids a fresh sidecar hands out in a test.
JOB_ID = 900_001


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


async def test_install_on_an_offline_device_arms_it(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Offline: Install asks for the flash when the device is back, rather than failing."""
    await init_integration.runtime_data.client.report_presence("porch", {"online": False})
    await async_wait_for(lambda: _porch(init_integration).get("online") is False, what="offline")
    await hass.async_block_till_done()
    assert (
        hass.states.get(UPDATE)
        .attributes["release_summary"]
        .startswith("Porch is offline: Install builds now and flashes it when it is back online.")
    )
    job = await _install_job(hass, init_integration)
    assert job["action"] == "compile_upload"
    assert job["params"]["whenOnline"] is True


async def test_armed_install_is_said_not_spun(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A flash waiting for its device: the summary says so and until when; no in-progress spinner."""
    coordinator = init_integration.runtime_data.coordinator
    until = dt_util.utcnow() + timedelta(days=7)
    waiting = {
        **_waiting_job(JOB_ID),
        "blockedReason": "waiting for porch to come online (offline since 08:00)",
        "waitingUntil": until.isoformat().replace("+00:00", "Z"),
    }
    coordinator.handle_event(
        {"type": "job", "op": "upsert", "id": JOB_ID, "job": waiting, "seq": 0}
    )
    await hass.async_block_till_done()

    state = hass.states.get(UPDATE)
    local = dt_util.as_local(until).strftime("%Y-%m-%d %H:%M")
    assert state.attributes["release_summary"].startswith(
        f"Armed: flashes when Porch is back online, until {local} (job #{JOB_ID})."
    )
    assert state.attributes["in_progress"] is False
    assert state.attributes["update_percentage"] is None

    status = hass.states.get(node_entity(hass, "sensor", "porch", "build_status"))
    assert status.state == "waiting_for_device"
    assert status.attributes["blocked_reason"] == waiting["blockedReason"]
    assert status.attributes["waiting_until"] == waiting["waitingUntil"]

    # A second install would race the armed one: refused, and nothing is queued.
    before = set(_jobs(init_integration))
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call("update", "install", {"entity_id": UPDATE}, blocking=True)
    assert err.value.translation_key == "install_already_armed"
    assert f"job {JOB_ID} flashes it" in str(err.value)
    assert set(_jobs(init_integration)) == before

    # It ends (cancelled here): the summary no longer says armed.
    done = {**waiting, "state": "cancelled", "finishedAt": waiting["updatedAt"]}
    coordinator.handle_event({"type": "job", "op": "upsert", "id": JOB_ID, "job": done, "seq": 0})
    await hass.async_block_till_done()
    assert "Armed" not in (hass.states.get(UPDATE).attributes["release_summary"] or "")


def _waiting_job(job_id: int) -> dict[str, Any]:
    """A compile_upload whose build is done and whose flash waits (the sidecar's Job shape)."""
    now = dt_util.utcnow().isoformat().replace("+00:00", "Z")
    return {
        "id": job_id,
        "deviceId": "porch",
        "action": "compile_upload",
        "state": "waiting_for_device",
        "priority": "interactive",
        "params": {"whenOnline": True},
        "source": "ha",
        "attempts": 1,
        "maxAttempts": 3,
        "createdAt": now,
        "updatedAt": now,
        "startedAt": now,
        "finishedAt": None,
        "workerId": None,
        "dispatchReason": None,
        "cancelRequested": False,
        "phase": None,
        "error": None,
        "configHash": None,
        "esphomeVersion": "2026.10.0",
        "firmware": [],
        "logBytes": 0,
        "logTruncated": False,
        "progress": None,
        "durationMs": None,
        "validationErrors": [],
        "step": "flash",
    }


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
