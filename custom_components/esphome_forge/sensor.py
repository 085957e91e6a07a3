"""Sensors: per-node build status and firmware trust, per-worker load, hub counters."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import (
    BUILD_STATUS_OPTIONS,
    TERMINAL_JOB_STATES,
    TRUST_OPTIONS,
    TRUST_VERIFIED_STATES,
    ota_image,
    trust_option,
)
from .coordinator import ForgeData
from .entity import ForgeHubEntity, ForgeNodeEntity, ForgeWorkerEntity, async_setup_dynamic
from .entry_data import ForgeConfigEntry
from .models import Device, Worker
from .schedules import next_run, next_run_for_device, schedule_attributes

PARALLEL_UPDATES = 0

# Wire job states → the build-status sensor's states.
_FINISHED_STATUS = {
    "succeeded": "succeeded",
    "failed": "failed",
    "timed_out": "failed",
    "cancelled": "cancelled",
}


def _current_job(data: ForgeData, device_id: str) -> Mapping[str, Any] | None:
    """The job the build status describes: the active one, else the last finished build."""
    if (job := data.active_job(device_id)) is not None:
        return job
    last = data.devices[device_id].get("lastBuild")
    if last is None:
        return None
    # The full Job is in memory for recent builds; lastBuild has the essentials otherwise.
    return data.jobs.get(last["jobId"]) or {
        "id": last["jobId"],
        "action": last["action"],
        "state": last["state"],
        "finishedAt": last.get("finishedAt"),
        "firmware": (
            [{"sha256": last["firmwareSha256"], "kind": "ota"}]
            if last.get("firmwareSha256")
            else []
        ),
        "esphomeVersion": last.get("esphomeVersion"),
    }


def build_status(data: ForgeData, device_id: str) -> str:
    """idle, queued, blocked, waiting_for_device, running, succeeded, failed or cancelled."""
    job = _current_job(data, device_id)
    if job is None:
        return "idle"
    if job["state"] in ("queued", "blocked", "waiting_for_device"):
        return str(job["state"])
    if job["state"] == "running":
        return "running"
    return _FINISHED_STATUS.get(job["state"], "idle")


def _ota_digest(job: Mapping[str, Any]) -> str | None:
    image = ota_image(job.get("firmware") or [])
    return image["sha256"] if image else None


def build_attributes(data: ForgeData, device_id: str) -> dict[str, Any]:
    """Attributes of the build-status sensor."""
    job = _current_job(data, device_id)
    last_error = next(
        (
            j.get("error")
            for j in sorted(data.jobs.values(), key=lambda j: j["id"], reverse=True)
            if j["deviceId"] == device_id and j["state"] in ("failed", "timed_out")
        ),
        None,
    )
    # The config history: the commit the job built, the last build's commit and the changes since.
    device = data.devices.get(device_id)
    history = (device.get("configHistory") if device else None) or {}
    config = {
        "built_from_commit": history.get("builtFrom"),
        "changes_since_build": history.get("changesSince"),
    }
    if job is None:
        return {
            "job_id": None,
            "action": None,
            "worker": None,
            "started": None,
            "phase": None,
            "duration": None,
            "firmware_sha256": None,
            "last_error": last_error,
            "next_scheduled_run": next_run_for_device(data, device_id),
            "commit": None,
            "blocked_reason": None,
            "waiting_until": None,
            "dispatch_reason": None,
            **config,
        }
    duration_ms = job.get("durationMs")
    return {
        "job_id": job["id"],
        "action": job["action"],
        "worker": job.get("workerId"),
        "started": job.get("startedAt"),
        "phase": job.get("phase"),
        "duration": round(duration_ms / 1000, 1) if duration_ms is not None else None,
        "firmware_sha256": _ota_digest(job),
        "last_error": job.get("error") if job["state"] in ("failed", "timed_out") else last_error,
        "next_scheduled_run": next_run_for_device(data, device_id),
        # Recorded at dispatch; shown once the job ends so a build adds no history row for it.
        "commit": job.get("configCommit") if job["state"] in TERMINAL_JOB_STATES else None,
        # Why it waits (no online worker can take it, or an armed flash waits for the device, until
        # `waiting_until`) or why it went where it did.
        "blocked_reason": (
            job.get("blockedReason") if job["state"] in ("blocked", "waiting_for_device") else None
        ),
        "waiting_until": (
            job.get("waitingUntil") if job["state"] == "waiting_for_device" else None
        ),
        "dispatch_reason": job.get("dispatchReason"),
        **config,
    }


def _trust(data: ForgeData, device_id: str) -> dict[str, Any]:
    running: dict[str, Any] = data.devices[device_id]["trust"]["running"]
    return running


@dataclass(frozen=True, kw_only=True)
class ForgeNodeSensorDescription(SensorEntityDescription):
    """A per-node sensor."""

    value_fn: Callable[[ForgeData, str], str | int | None]
    attrs_fn: Callable[[ForgeData, str], dict[str, Any]]


@dataclass(frozen=True, kw_only=True)
class ForgeWorkerSensorDescription(SensorEntityDescription):
    """A per-worker sensor."""

    value_fn: Callable[[Worker], int | None]


@dataclass(frozen=True, kw_only=True)
class ForgeHubSensorDescription(SensorEntityDescription):
    """A sensor of the sidecar as a whole."""

    value_fn: Callable[[ForgeData], int | datetime | None]
    attrs_fn: Callable[[ForgeData], dict[str, Any]] | None = None


NODE_SENSORS: tuple[ForgeNodeSensorDescription, ...] = (
    ForgeNodeSensorDescription(
        key="build_status",
        translation_key="build_status",
        device_class=SensorDeviceClass.ENUM,
        options=BUILD_STATUS_OPTIONS,
        value_fn=build_status,
        attrs_fn=build_attributes,
    ),
    ForgeNodeSensorDescription(
        key="firmware_trust",
        translation_key="firmware_trust",
        device_class=SensorDeviceClass.ENUM,
        options=TRUST_OPTIONS,
        value_fn=lambda data, device_id: trust_option(_trust(data, device_id)["state"]),
        attrs_fn=lambda data, device_id: {
            "reason": _trust(data, device_id).get("reason"),
            "signer": _trust(data, device_id).get("signer"),
            "build_sequence": _trust(data, device_id).get("buildSequence"),
            "checked_at": _trust(data, device_id).get("checkedAt"),
            "firmware_sha256": _trust(data, device_id).get("firmwareSha256"),
            **_ota_signing_attributes(data, device_id),
        },
    ),
)

WORKER_SENSORS: tuple[ForgeWorkerSensorDescription, ...] = (
    ForgeWorkerSensorDescription(
        key="active_jobs",
        translation_key="active_jobs",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement="jobs",
        value_fn=lambda worker: len(worker.get("activeJobIds") or []),
    ),
)


def _blocked_jobs(data: ForgeData) -> dict[str, Any]:
    """The waiting jobs no online worker can take, each with what is missing (at most 20 listed)."""
    blocked = sorted(
        (j for j in data.jobs.values() if j["state"] == "blocked"), key=lambda j: j["id"]
    )
    return {
        "blocked": len(blocked),
        "blocked_jobs": [
            {"job_id": j["id"], "device": j["deviceId"], "reason": j.get("blockedReason")}
            for j in blocked[:20]
        ],
    }


def _ota_signing_attributes(data: ForgeData, device_id: str) -> dict[str, Any]:
    """The device side of ESPHome signed OTA (absent from sidecars that predate it)."""
    device = data.devices.get(device_id)
    ota = device.get("otaSigning") if device else None
    if not ota:
        return {"ota_signed": False}
    return {
        "ota_signed": ota.get("otaSigned", False),
        "ota_signed_advertised": ota.get("advertised"),
        "ota_forge_signs": ota.get("forgeSigns", False),
        "ota_trusted_keys": ota.get("trustedKeys"),
        "ota_downgrade_protection": ota.get("downgradeProtection", False),
        "ota_last_project_version": ota.get("lastProjectVersion"),
    }


def _not_verified(data: ForgeData) -> list[Device]:
    return [
        d
        for d in data.devices.values()
        if d["trust"]["running"]["state"] not in TRUST_VERIFIED_STATES
    ]


HUB_SENSORS: tuple[ForgeHubSensorDescription, ...] = (
    ForgeHubSensorDescription(
        key="queue_depth",
        translation_key="queue_depth",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement="jobs",
        value_fn=lambda data: sum(
            1 for j in data.jobs.values() if j["state"] in ("queued", "blocked")
        ),
        attrs_fn=_blocked_jobs,
    ),
    ForgeHubSensorDescription(
        key="running_jobs",
        translation_key="running_jobs",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement="jobs",
        value_fn=lambda data: sum(1 for j in data.jobs.values() if j["state"] == "running"),
    ),
    ForgeHubSensorDescription(
        key="workers_online",
        translation_key="workers_online",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement="workers",
        value_fn=lambda data: sum(1 for w in data.workers.values() if w["online"]),
    ),
    ForgeHubSensorDescription(
        key="total_slots",
        translation_key="total_slots",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement="slots",
        value_fn=lambda data: sum(w["slots"] for w in data.workers.values() if w["online"]),
    ),
    ForgeHubSensorDescription(
        key="devices_not_verified",
        translation_key="devices_not_verified",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement="devices",
        value_fn=lambda data: len(_not_verified(data)),
        attrs_fn=lambda data: {
            "devices": sorted(d["id"] for d in _not_verified(data)),
            "by_state": dict(
                sorted(
                    Counter(
                        trust_option(d["trust"]["running"]["state"]) for d in data.devices.values()
                    ).items()
                )
            ),
        },
    ),
    ForgeHubSensorDescription(
        key="next_scheduled_run",
        translation_key="next_scheduled_run",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=next_run,
        attrs_fn=schedule_attributes,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ForgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the sensors."""
    coordinator = entry.runtime_data.coordinator
    async_setup_dynamic(
        entry,
        async_add_entities,
        hub=lambda: [ForgeHubSensor(coordinator, d) for d in HUB_SENSORS],
        node=lambda device_id: [ForgeNodeSensor(coordinator, d, device_id) for d in NODE_SENSORS],
        worker=lambda worker_id: [
            ForgeWorkerSensor(coordinator, d, worker_id) for d in WORKER_SENSORS
        ],
    )


class ForgeNodeSensor(ForgeNodeEntity, SensorEntity):
    """Build status or firmware trust of one node.

    The build status carries no progress percentage: it changes several times a second during a
    build and every change is a history row. Install progress is the update entity's
    `update_percentage` (in steps); the card follows every job's progress over its own subscription.
    """

    entity_description: ForgeNodeSensorDescription
    # The phase moves through a handful of values per build: live only, not history.
    _unrecorded_attributes = frozenset({"phase"})

    @property
    def native_value(self) -> str | int | None:
        """State from the sidecar's data."""
        return self.entity_description.value_fn(self.coordinator.data, self.device_id)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Details of the job or the trust verdict."""
        return self.entity_description.attrs_fn(self.coordinator.data, self.device_id)


class ForgeWorkerSensor(ForgeWorkerEntity, SensorEntity):
    """Active jobs on one worker."""

    entity_description: ForgeWorkerSensorDescription

    @property
    def native_value(self) -> int | None:
        """Number of jobs the worker runs now."""
        return self.entity_description.value_fn(self.worker)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The job ids."""
        return {"job_ids": list(self.worker.get("activeJobIds") or [])}


class ForgeHubSensor(ForgeHubEntity, SensorEntity):
    """A fleet-wide counter."""

    entity_description: ForgeHubSensorDescription

    @property
    def native_value(self) -> int | datetime | None:
        """The counter (or, for the schedule sensor, the next run)."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Optional details."""
        if self.entity_description.attrs_fn is None:
            return None
        return self.entity_description.attrs_fn(self.coordinator.data)
