"""Services: targets, responses, and every validation error (translated)."""

from __future__ import annotations

import re
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
import voluptuous as vol

from custom_components.esphome_forge.api import ForgeClient
from custom_components.esphome_forge.const import DOMAIN, EVENT_JOB_FINISHED
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
    floor_registry as fr,
    label_registry as lr,
)
from homeassistant.util import dt as dt_util

from .conftest import ENTRY_ID, async_wait_for

GOOD_DIGEST = "ab" * 32
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _device(hass: HomeAssistant, node: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(
        "update", DOMAIN, f"{ENTRY_ID}:device:{node}:update"
    )
    device_id = er.async_get(hass).async_get(entity_id).device_id
    assert device_id
    return device_id


async def _call(hass: HomeAssistant, service: str, data: dict[str, Any]) -> Any:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


async def _invalid(hass: HomeAssistant, service: str, data: dict[str, Any], key: str) -> str:
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, service, data)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key
    return str(err.value)


async def _cancel_all(hass: HomeAssistant) -> None:
    await hass.services.async_call(
        DOMAIN,
        "cancel",
        {"device_id": [_device(hass, n) for n in ("kitchen", "office", "porch", "garage", "shed")]},
        blocking=True,
    )


async def test_compile_targets(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Device, area, floor, label, tag, all and outdated each pick the right nodes."""
    floor = fr.async_get(hass).async_create("Ground floor")
    office_area = ar.async_get(hass).async_create("Office", floor_id=floor.floor_id)
    outside = lr.async_get(hass).async_create("Outside")
    dev_reg = dr.async_get(hass)
    dev_reg.async_update_device(_device(hass, "office"), area_id=office_area.id)
    dev_reg.async_update_device(_device(hass, "porch"), labels={outside.label_id})

    async def nodes(data: dict[str, Any]) -> list[str]:
        response = await _call(hass, "compile", {"upload": False, "priority": "bulk", **data})
        assert response["job_ids"] == [j["job_id"] for j in response["jobs"]]
        assert all(j["config_entry_id"] == ENTRY_ID for j in response["jobs"])
        return sorted(j["device"] for j in response["jobs"])

    assert await nodes({"device_id": _device(hass, "kitchen")}) == ["kitchen"]
    assert await nodes({"area_id": office_area.id}) == ["office"]
    assert await nodes({"floor_id": floor.floor_id}) == ["office"]
    assert await nodes({"label_id": outside.label_id}) == ["porch"]
    assert await nodes({"entity_id": "sensor.shed_build_status"}) == ["shed"]
    assert await nodes({"tag": ["lights", "office"]}) == ["kitchen", "office"]
    every = ["garage", "kitchen", "office", "porch", "shed"]
    assert await nodes({"all": True}) == every
    # Forge has flashed nothing yet: every node is outdated.
    assert await nodes({"outdated": True}) == every
    # Several forms at once are united.
    assert await nodes({"area_id": office_area.id, "tag": ["outdoor"]}) == ["office", "porch"]

    # Repeats coalesce into the queued job (same id).
    first = await _call(hass, "compile", {"tag": ["outdoor"], "upload": False, "priority": "bulk"})
    again = await _call(hass, "compile", {"tag": ["outdoor"], "upload": False, "priority": "bulk"})
    if again["jobs"][0]["coalesced"]:
        assert again["job_ids"] == first["job_ids"]
    await _cancel_all(hass)


async def test_compile_options_reach_the_job(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """ESPHome version, worker (by name) and priority go into the job."""
    finished = async_capture_events(hass, EVENT_JOB_FINISHED)
    response = await _call(
        hass,
        "compile",
        {
            "device_id": _device(hass, "porch"),
            "esphome_version": "2026.10.0",
            "worker": "local",
            "priority": "scheduled",
        },
    )
    job_id = response["job_ids"][0]
    await async_wait_for(lambda: bool(finished), what="porch job")
    job = await init_integration.runtime_data.client.job(job_id)
    assert job["action"] == "compile_upload"
    assert job["priority"] == "scheduled"
    assert job["source"] == "ha"
    assert job["params"]["esphomeVersion"] == "2026.10.0"
    worker_id = next(iter(init_integration.runtime_data.coordinator.data.workers))
    assert job["params"]["workerId"] == worker_id


async def test_compile_validation_errors(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Wrong input is refused before anything is queued, with a translated message."""
    message = await _invalid(hass, "compile", {}, "no_target")
    assert "Name what to act on" in message
    await _invalid(hass, "compile", {"tag": ["Not A Tag"]}, "invalid_tag")
    await _invalid(hass, "compile", {"tag": ["nobody-has-this"]}, "unknown_tag")
    message = await _invalid(
        hass, "compile", {"all": True, "esphome_version": "latest"}, "invalid_esphome_version"
    )
    assert "latest is not an ESPHome release" in message
    await _invalid(hass, "compile", {"all": True, "worker": "ghost"}, "unknown_worker")
    empty_area = ar.async_get(hass).async_create("Attic")
    await _invalid(hass, "compile", {"area_id": empty_area.id}, "no_devices_matched")
    await _invalid(
        hass, "compile", {"all": True, "config_entry_id": "no-such-entry"}, "entry_not_found"
    )
    with pytest.raises(vol.Invalid):
        await _call(hass, "compile", {"all": True, "priority": "urgent"})
    # Nothing was queued by any of these.
    assert hass.states.get("sensor.forge_for_esphome_queue_depth").state == "0"


async def test_cancel(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Cancel by job id and by device; errors for unknown and finished jobs."""
    await _invalid(hass, "cancel", {}, "no_target")
    await _invalid(hass, "cancel", {"job_id": [999999]}, "unknown_job")

    finished = async_capture_events(hass, EVENT_JOB_FINISHED)
    slow = await _call(hass, "compile", {"tag": ["office"], "upload": False})
    queued = await _call(hass, "compile", {"tag": ["kitchen"], "upload": False})
    jobs = init_integration.runtime_data.coordinator.data.jobs
    # Wait until the worker has started the job (it reports a phase): a cancel sent between the
    # sidecar's assignment and the worker's start is lost by the sidecar today (see the report).
    await async_wait_for(
        lambda: (jobs.get(slow["job_ids"][0]) or {}).get("phase") is not None,
        what="office started on the worker",
    )
    # The queued one by id, the running one by its device.
    response = await _call(hass, "cancel", {"job_id": queued["job_ids"]})
    assert response == {
        "cancelled": [
            {
                "job_id": queued["job_ids"][0],
                "device": "kitchen",
                "state": "cancelled",
                "config_entry_id": ENTRY_ID,
            }
        ]
    }
    response = await _call(hass, "cancel", {"device_id": _device(hass, "office")})
    assert [c["job_id"] for c in response["cancelled"]] == slow["job_ids"]
    await async_wait_for(lambda: len(finished) == 2, what="both jobs end")
    assert {e.data["result"] for e in finished} == {"cancelled"}, [
        (e.data["device"], e.data["job_id"], e.data["result"], e.data["duration"], e.data["error"])
        for e in finished
    ]
    await async_wait_for(
        lambda: hass.states.get("sensor.office_build_status").state == "cancelled",
        what="office cancelled",
    )
    message = await _invalid(hass, "cancel", {"job_id": slow["job_ids"]}, "job_not_active")
    assert "already finished" in message


async def test_validate(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """valid + structured errors, waiting for the job; one device only; timeout."""
    await _invalid(hass, "validate", {}, "no_target")
    await _invalid(
        hass,
        "validate",
        {"device_id": [_device(hass, "kitchen"), _device(hass, "porch")]},
        "single_device_required",
    )

    response = await _call(hass, "validate", {"device_id": _device(hass, "porch")})
    assert response["valid"] is True
    assert response["device"] == "porch"
    assert response["state"] == "succeeded"
    assert response["errors"] == []

    # The errors come from the job's structured `validationErrors` (not from its log), with the
    # file and line ESPHome named; ESPHome's config path leads the message.
    with patch.object(
        ForgeClient, "job_log", side_effect=AssertionError("the log is not needed")
    ) as job_log:
        response = await _call(hass, "validate", {"entity_id": "update.garage_firmware"})
    assert not job_log.called
    assert response["valid"] is False
    assert response["state"] == "failed"
    assert response["errors"] == [
        {
            "path": None,
            "file": "garage.yaml",
            "line": 3,
            "message": "sensor.template: Component not found (standin: fail-at=validate).",
        }
    ]
    job = await init_integration.runtime_data.client.job(response["job_id"])
    assert [(e["file"], e["line"], e["message"]) for e in job["validationErrors"]] == [
        (e["file"], e["line"], e["message"]) for e in response["errors"]
    ]

    # Stuck behind a running build, the wait gives up with a clear error.
    await _call(hass, "compile", {"tag": ["office"], "upload": False})
    await async_wait_for(
        lambda: hass.states.get("sensor.office_build_status").state == "running",
        what="office running",
    )
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "validate", {"device_id": _device(hass, "kitchen"), "timeout": 1})
    assert err.value.translation_key == "validate_timeout"
    await _cancel_all(hass)


async def test_verify_firmware(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """The sidecar's trust verdicts for one device: unknown before Forge flashed it, verified after."""
    await _invalid(hass, "verify_firmware", {}, "no_target")
    await _invalid(
        hass,
        "verify_firmware",
        {"entity_id": ["update.kitchen_firmware", "update.porch_firmware"]},
        "single_device_required",
    )
    response = await _call(hass, "verify_firmware", {"device_id": _device(hass, "kitchen")})
    assert response["device"] == "kitchen"
    assert response["state"] == "not_checked"
    assert "has not flashed" in response["reason"]
    assert response["pending"]["state"] == "not_checked"
    assert set(response) == {
        "device",
        "state",
        "reason",
        "signer",
        "build_sequence",
        "checked_at",
        "firmware_sha256",
        "pending",
    }
    assert response["state"] == hass.states.get("sensor.kitchen_firmware_trust").state

    finished = async_capture_events(hass, EVENT_JOB_FINISHED)
    await _call(hass, "compile", {"tag": ["outdoor"]})
    await async_wait_for(lambda: bool(finished), what="porch flashed")
    assert finished[0].data["result"] == "succeeded"
    response = await _call(hass, "verify_firmware", {"entity_id": "update.porch_firmware"})
    assert response["state"] == "verified"
    assert response["signer"].startswith("sidecar key ")
    assert response["build_sequence"] == 1
    assert response["firmware_sha256"] == finished[0].data["firmware_sha256"]
    # The image Forge last built is the one it flashed: pending says the same.
    assert response["pending"]["state"] == "verified"
    assert response["pending"]["firmware_sha256"] == response["firmware_sha256"]


async def test_revoke(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Exactly one of artifact or signer; a digest must be one; a real revocation flips the sensor."""
    await _invalid(hass, "revoke", {"reason": "r"}, "revoke_target_required")
    await _invalid(
        hass,
        "revoke",
        {"reason": "r", "artifact": GOOD_DIGEST, "signer": "w1"},
        "revoke_target_required",
    )
    await _invalid(hass, "revoke", {"reason": "r", "artifact": "xyz"}, "invalid_digest")
    with pytest.raises(vol.Invalid):
        await _call(hass, "revoke", {"artifact": GOOD_DIGEST})

    # Flash the porch through Forge: its running firmware is verified.
    trust = "sensor.porch_firmware_trust"
    await hass.services.async_call(
        "update", "install", {"entity_id": "update.porch_firmware"}, blocking=True
    )
    await async_wait_for(lambda: hass.states.get(trust).state == "verified", what="porch verified")
    digest = hass.states.get(trust).attributes["firmware_sha256"]
    assert SHA256.match(digest)

    response = await _call(hass, "revoke", {"reason": "compromised", "artifact": digest})
    assert response["revoked"] is True
    assert (response["kind"], response["value"]) == ("artifact", digest)
    assert (response["version"], response["entries"]) == (1, 1)
    assert dt_util.parse_datetime(response["expires_at"]) > dt_util.utcnow()
    # The sidecar re-evaluates every device and pushes the new verdict over the events socket.
    await async_wait_for(lambda: hass.states.get(trust).state == "revoked", what="porch revoked")
    assert "compromised" in hass.states.get(trust).attributes["reason"]
    assert hass.states.get("sensor.kitchen_firmware_trust").state != "revoked"

    response = await _call(hass, "revoke", {"reason": "lost laptop", "signer": "c2lnbmVyLWhpbnQ="})
    assert (response["kind"], response["version"], response["entries"]) == ("signer", 2, 2)


async def test_no_loaded_entry(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Services stay registered after unload but say why they cannot act."""
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await _invalid(hass, "compile", {"all": True}, "no_loaded_entries")
    await _invalid(hass, "compile", {"all": True, "config_entry_id": ENTRY_ID}, "entry_not_loaded")
    await _invalid(hass, "revoke", {"reason": "r", "signer": "x"}, "no_loaded_entries")
