"""Push coordinator: one events-WebSocket subscription to the sidecar.

The sidecar sends a `snapshot` of devices, jobs and workers, then `device` / `job` / `worker` deltas
(`shared/src/events.ts`). This coordinator keeps that state in memory, pushes it to the entities with
`async_set_updated_data`, relays the raw events to the card's HA WebSocket subscriptions, hands job-log
tails to `JobLogTails` and fires `esphome_forge_job_finished` on the HA bus. The connection itself
(reconnect with backoff, resync from each fresh snapshot) is `ForgeEventStream`'s.

On a lost connection it marks every entity unavailable (`async_set_update_error`); a repairs issue
appears when the sidecar stays unreachable longer than the configured grace period.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import ForgeClient
from .const import (
    ACTIVE_JOB_STATES,
    CONF_REPAIR_GRACE_MINUTES,
    DEFAULT_REPAIR_GRACE_MINUTES,
    DOMAIN,
    EVENT_JOB_FINISHED,
    FLASH_ACTIONS,
    ISSUE_UNREACHABLE,
    LOGGER,
    TERMINAL_JOB_STATES,
    ota_image,
)
from .events_stream import ForgeEventStream
from .fleet_events import FleetEvents
from .log_tails import EventRelay, JobLogTails
from .trust_status import TrustStatusWatcher
from .workspace_issue import update_push_issue

# Finished jobs kept in memory beyond the active ones (the sidecar's snapshot sends its 100 latest).
KEEP_FINISHED_JOBS = 200

type ForgeConfigEntry = ConfigEntry[ForgeRuntimeData]


@dataclass
class ForgeRuntimeData:
    """What a loaded entry holds: REST client, push coordinator, trust watcher, the sidecar's /info."""

    client: ForgeClient
    coordinator: ForgeCoordinator
    trust: TrustStatusWatcher
    info: dict[str, Any]


@dataclass
class ForgeData:
    """What the sidecar last told us, keyed by id; values are the sidecar's JSON objects."""

    devices: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[int, dict[str, Any]] = field(default_factory=dict)
    workers: dict[str, dict[str, Any]] = field(default_factory=dict)
    seq: int = 0
    # Per device: the newest job that successfully flashed it (what is believed to be running).
    last_flash: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Fleet settings the entities need (the default ESPHome version).
    settings: dict[str, Any] = field(default_factory=dict)
    # Schedules by id, active alerts by id, the newer ESPHome release available (fleet_events.py).
    schedules: dict[int, dict[str, Any]] = field(default_factory=dict)
    alerts: dict[str, dict[str, Any]] = field(default_factory=dict)
    esphome_release: dict[str, Any] | None = None
    # The config folder's history and remote push state (WorkspaceStatus), when the sidecar has one.
    workspace: dict[str, Any] | None = None

    def active_job(self, device_id: str) -> dict[str, Any] | None:
        """The device's running job, else its oldest queued one."""
        active = [
            j
            for j in self.jobs.values()
            if j["deviceId"] == device_id and j["state"] in ACTIVE_JOB_STATES
        ]
        if not active:
            return None
        active.sort(key=lambda j: (j["state"] != "running", j["id"]))
        return active[0]

    def snapshot_event(self) -> dict[str, Any]:
        """A `snapshot` event in the sidecar's shape, for a new card subscription."""
        return {
            "type": "snapshot",
            "seq": self.seq,
            "devices": list(self.devices.values()),
            "jobs": sorted(self.jobs.values(), key=lambda j: j["id"], reverse=True),
            "workers": list(self.workers.values()),
            "schedules": sorted(self.schedules.values(), key=lambda s: s["id"]),
            "alerts": list(self.alerts.values()),
            "esphomeRelease": self.esphome_release,
            **({"workspace": self.workspace} if self.workspace is not None else {}),
        }


def _finished_before(job: dict[str, Any], moment: datetime) -> bool:
    finished = dt_util.parse_datetime(job.get("finishedAt") or "")
    # Allow for clock skew between HA and the sidecar.
    return finished is not None and finished < moment - timedelta(minutes=1)


class ForgeCoordinator(DataUpdateCoordinator[ForgeData]):
    """Holds the sidecar's state, fed by its events WebSocket."""

    config_entry: ForgeConfigEntry

    def __init__(self, hass: HomeAssistant, entry: ForgeConfigEntry, client: ForgeClient) -> None:
        """No update_interval: the sidecar pushes."""
        super().__init__(hass, LOGGER, config_entry=entry, name=f"{DOMAIN} {client.url}")
        self.client = client
        self.data = ForgeData()
        self.connected = False
        self.last_event_at: datetime | None = None
        self.disconnected_since: datetime | None = None
        self.last_error: str | None = None
        self._stream = ForgeEventStream(hass, entry, client, self)
        self.fleet_events = FleetEvents(hass, entry, self)
        self._log_tails = JobLogTails(hass, self._stream)
        self._relays: set[EventRelay] = set()
        self._issue_timer: CALLBACK_TYPE | None = None
        self._job_waiters: dict[int, list[asyncio.Future[dict[str, Any]]]] = {}
        self._stream_started = dt_util.utcnow()
        # Sidecar device id → HA device id, filled in as the device entities are added.
        self.ha_devices: dict[str, str] = {}

    # ---- lifecycle ------------------------------------------------------------------------------

    async def async_start(self, timeout: float) -> None:
        """Start the listener and wait for the first snapshot (raises ForgeError / TimeoutError)."""
        try:
            await self._stream.async_start(timeout)
        except BaseException:
            self._cancel_issue_timer()
            raise

    async def async_stop(self) -> None:
        """Stop the listener and timers (unload)."""
        self._cancel_issue_timer()
        self.fleet_events.async_shutdown()
        await self._stream.async_stop()

    async def _async_update_data(self) -> ForgeData:
        """Push-only: a manual refresh returns what the stream last delivered."""
        if not self.connected:
            raise UpdateFailed(translation_domain=DOMAIN, translation_key="sidecar_unreachable")
        return self.data

    async def async_before_snapshot(self) -> None:
        """Fetch what the stream does not carry: settings and each device's last flash."""
        self.data.settings = await self.client.settings()
        flashes = await self.client.jobs(
            action=",".join(FLASH_ACTIONS), state="succeeded", limit="500"
        )
        last: dict[str, dict[str, Any]] = {}
        for job in flashes["jobs"]:  # newest first
            last.setdefault(job["deviceId"], job)
        self.data.last_flash = last

    # ---- events ---------------------------------------------------------------------------------

    @callback
    def handle_event(self, event: dict[str, Any]) -> None:
        """Apply one event from the stream, then tell the entities and the card."""
        kind = event.get("type")
        self.last_event_at = dt_util.utcnow()
        if kind == "snapshot":
            self._apply_snapshot(event)
        elif kind == "device":
            self._apply_device(event)
        elif kind == "job":
            self._apply_job(event)
        elif kind == "worker":
            self._apply_worker(event)
        elif kind in ("schedule", "alert", "release"):
            self.fleet_events.apply(self.data, event)
        elif kind == "workspace":
            self._apply_workspace(event.get("status"))
        elif kind in ("log", "log_end"):
            self._log_tails.route(event)
            return
        else:
            if kind == "error":
                LOGGER.debug("Sidecar event stream error: %s", event)
            return
        self.data.seq = max(self.data.seq, int(event.get("seq", 0)))
        for relay in list(self._relays):
            relay(event)
        self.async_set_updated_data(self.data)

    def _apply_snapshot(self, event: dict[str, Any]) -> None:
        previous = self.data.jobs
        had_data = self._stream.has_snapshot
        jobs = {int(j["id"]): j for j in event["jobs"]}
        # Jobs we still hold that finished while we were away count as finished now.
        if had_data:
            for job_id, job in jobs.items():
                old = previous.get(job_id)
                if old is not None and old["state"] not in TERMINAL_JOB_STATES:
                    self._maybe_finished(old, job)
        self.fleet_events.apply_snapshot(self.data, event, had_data)
        if had_data:
            for device in event["devices"]:
                self.fleet_events.device_changed(self.data.devices.get(device["id"]), device)
        self.data.devices = {d["id"]: d for d in event["devices"]}
        self.data.workers = {w["id"]: w for w in event["workers"]}
        self.data.jobs = jobs
        self.data.seq = int(event.get("seq", 0))
        self._apply_workspace(event.get("workspace"))
        for job in jobs.values():
            self._resolve_waiters(job)
        self._mark_connected()
        self._log_tails.resubscribe()

    def _apply_device(self, event: dict[str, Any]) -> None:
        if event["op"] == "remove" or event.get("device") is None:
            self.data.devices.pop(event["id"], None)
        else:
            self.fleet_events.device_changed(self.data.devices.get(event["id"]), event["device"])
            self.data.devices[event["id"]] = event["device"]

    def _apply_job(self, event: dict[str, Any]) -> None:
        job_id = int(event["id"])
        if event["op"] == "remove" or event.get("job") is None:
            self.data.jobs.pop(job_id, None)
            return
        job = event["job"]
        old = self.data.jobs.get(job_id)
        self.data.jobs[job_id] = job
        if old is None and _finished_before(job, self._stream_started):
            # An old job re-announced (not one that just ended): not news.
            pass
        elif old is None or old["state"] not in TERMINAL_JOB_STATES:
            self._maybe_finished(old, job)
        self._resolve_waiters(job)
        self._prune_jobs()

    def _apply_worker(self, event: dict[str, Any]) -> None:
        if event["op"] == "remove" or event.get("worker") is None:
            self.data.workers.pop(event["id"], None)
        else:
            self.data.workers[event["id"]] = event["worker"]

    def _maybe_finished(self, old: dict[str, Any] | None, job: dict[str, Any]) -> None:
        if job["state"] not in TERMINAL_JOB_STATES:
            return
        if job["state"] == "succeeded" and job["action"] in FLASH_ACTIONS:
            self.data.last_flash[job["deviceId"]] = job
        firmware = ota_image(job.get("firmware") or [])
        duration = job.get("durationMs")
        self.hass.bus.async_fire(
            EVENT_JOB_FINISHED,
            {
                "config_entry_id": self.config_entry.entry_id,
                "device": job["deviceId"],
                "device_id": self.ha_device_id(job["deviceId"]),
                "job_id": job["id"],
                "action": job["action"],
                "result": job["state"],
                "duration": round(duration / 1000, 3) if duration is not None else None,
                "firmware_sha256": firmware["sha256"] if firmware else None,
                "esphome_version": job.get("esphomeVersion"),
                "worker": job.get("workerId"),
                "error": job.get("error"),
            },
        )

    def _resolve_waiters(self, job: dict[str, Any]) -> None:
        if job["state"] not in TERMINAL_JOB_STATES:
            return
        for fut in self._job_waiters.pop(int(job["id"]), []):
            if not fut.done():
                fut.set_result(job)

    async def async_wait_job(self, job_id: int, timeout: float) -> dict[str, Any]:
        """Wait until the job is finished; return it (raises TimeoutError)."""
        job = self.data.jobs.get(job_id)
        if job is not None and job["state"] in TERMINAL_JOB_STATES:
            return job
        fut: asyncio.Future[dict[str, Any]] = self.hass.loop.create_future()
        self._job_waiters.setdefault(job_id, []).append(fut)
        try:
            async with asyncio.timeout(timeout):
                return await fut
        finally:
            waiters = self._job_waiters.get(job_id, [])
            if fut in waiters:
                waiters.remove(fut)
            if not waiters:
                self._job_waiters.pop(job_id, None)

    def _prune_jobs(self) -> None:
        finished = [j["id"] for j in self.data.jobs.values() if j["state"] in TERMINAL_JOB_STATES]
        if len(finished) > KEEP_FINISHED_JOBS:
            for job_id in sorted(finished)[: len(finished) - KEEP_FINISHED_JOBS]:
                del self.data.jobs[job_id]

    # ---- availability and repairs ---------------------------------------------------------------

    def _mark_connected(self) -> None:
        if not self.connected and self.disconnected_since is not None:
            LOGGER.info("Reconnected to the Forge sidecar at %s", self.client.url)
        self.connected = True
        self.disconnected_since = None
        self.last_error = None
        self._cancel_issue_timer()
        ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)

    @callback
    def stream_lost(self, err: Exception) -> None:
        """The events connection ended: unavailable now, a repairs issue after the grace period."""
        self.last_error = str(err) or type(err).__name__
        if not self.connected:
            return
        self.connected = False
        self.disconnected_since = dt_util.utcnow()
        grace = self.config_entry.options.get(
            CONF_REPAIR_GRACE_MINUTES, DEFAULT_REPAIR_GRACE_MINUTES
        )
        self._cancel_issue_timer()
        self._issue_timer = async_call_later(self.hass, grace * 60, self._create_issue)
        # The card shows "sidecar unreachable since …" with its actions paused; the next snapshot
        # (after the reconnect) tells it the sidecar is back.
        for relay in list(self._relays):
            relay(self.unreachable_event())
        # Logs the loss once (log-when-unavailable) and marks every entity unavailable.
        self.async_set_update_error(err)

    def unreachable_event(self) -> dict[str, Any]:
        """The card's `unreachable` event (HA only, docs/ha-websocket-api.md): since when, and why."""
        since = self.disconnected_since
        return {
            "type": "unreachable",
            "since": since.isoformat() if since else None,
            "error": self.last_error,
        }

    def _apply_workspace(self, status: dict[str, Any] | None) -> None:
        self.data.workspace = status
        update_push_issue(self.hass, self.config_entry.entry_id, self.config_entry.title, status)

    @property
    def _issue_id(self) -> str:
        return f"{ISSUE_UNREACHABLE}_{self.config_entry.entry_id}"

    @callback
    def _create_issue(self, _now: datetime) -> None:
        self._issue_timer = None
        if self.connected:
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ISSUE_UNREACHABLE,
            translation_placeholders={
                "url": self.client.url,
                "title": self.config_entry.title,
                "error": self.last_error or "",
            },
        )

    def _cancel_issue_timer(self) -> None:
        if self._issue_timer is not None:
            self._issue_timer()
            self._issue_timer = None

    # ---- helpers for entities, services and the card ----------------------------------------------

    @callback
    def ha_device_id(self, device_id: str) -> str | None:
        """The HA device our entities for this sidecar device sit on (recorded by the entities)."""
        return self.ha_devices.get(device_id)

    @callback
    def async_add_relay(self, relay: EventRelay) -> CALLBACK_TYPE:
        """Relay every snapshot and delta event to `relay` until the returned callback runs."""
        self._relays.add(relay)

        @callback
        def remove() -> None:
            self._relays.discard(relay)

        return remove

    async def async_subscribe_log(
        self, job_id: int, offset: int, send: EventRelay
    ) -> CALLBACK_TYPE:
        """Tail a job's log over the shared connection; `send` gets `log` / `log_end` events."""
        if not self.connected:
            raise ConnectionError("the sidecar is not connected")
        return await self._log_tails.async_subscribe(job_id, offset, send)
