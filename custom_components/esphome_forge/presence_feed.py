"""Feeds the sidecar what HA's ESPHome integration knows about each node.

Workers and sidecars on another network cannot hear mDNS; HA usually holds a live connection to
every ESPHome device. For each node with an ESPHome device in HA, this sends the connection state
and the versions in the device's `sw_version` to `PUT /devices/{id}/presence` (source `ha`): when
they change (ESPHome's entities turn unavailable or back, the device registry entry is updated),
and every few minutes so the report stays fresh (the sidecar lets an HA report lapse after 15
minutes). The sidecar decides the precedence: mDNS wins while it hears the device.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import CONNECTION_NETWORK_MAC
from homeassistant.helpers.event import (
    async_call_later,
    async_track_device_registry_updated_event,
    async_track_state_change_event,
    async_track_time_interval,
)

from .api import ForgeApiError, ForgeError
from .const import LOGGER
from .coordinator import ForgeConfigEntry
from .entity import esphome_device_of
from .esphome_device import connection_state, esphome_entity_ids
from .firmware_state import reported_esphome_version, reported_project_version

# Well within the sidecar's 15 minutes (HA_PRESENCE_FRESH_MS).
REFRESH_INTERVAL = timedelta(minutes=5)
# Entities of one device change together (a disconnect turns them all unavailable): one report.
DEBOUNCE_SECONDS = 1.0


class PresenceFeed:
    """One per config entry: watches the ESPHome devices of the sidecar's nodes."""

    def __init__(self, hass: HomeAssistant, entry: ForgeConfigEntry) -> None:
        """Nothing is watched until async_start."""
        self.hass = hass
        self.entry = entry
        self._links: dict[str, str] = {}  # node id → HA device id of its ESPHome device
        self._watch_key: object = None
        self._watchers: dict[str, list[CALLBACK_TYPE]] = {}
        self._pending: dict[str, CALLBACK_TYPE] = {}
        self._sent: dict[str, dict[str, Any]] = {}
        self._unsubs: list[Callable[[], None]] = []
        self._warned: set[str] = set()

    @callback
    def async_start(self) -> None:
        """Follow the nodes the sidecar reports, now and on every change; refresh periodically."""
        coordinator = self.entry.runtime_data.coordinator
        self._unsubs.append(coordinator.async_add_listener(self._relink))
        self._unsubs.append(
            async_track_time_interval(self.hass, self._refresh_all, REFRESH_INTERVAL)
        )
        self._relink()

    @callback
    def async_stop(self) -> None:
        """Stop watching (unload)."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        for node_id in list(self._watchers):
            self._unwatch(node_id)
        for cancel in self._pending.values():
            cancel()
        self._pending.clear()

    # ---- which nodes ----------------------------------------------------------------------------

    @callback
    def _relink(self) -> None:
        data = self.entry.runtime_data.coordinator.data
        # Cheap to skip: coordinator updates come with every job event.
        key = tuple(
            (node_id, node.get("mac"), (node.get("presence") or {}).get("mac"), node.get("name"))
            for node_id, node in sorted(data.devices.items())
            if "online" in node  # sidecars without presence have no route to feed
        )
        if key == self._watch_key:
            return
        self._watch_key = key
        links: dict[str, str] = {}
        for node_id, *_ in key:
            device = esphome_device_of(self.hass, data.devices[node_id])
            if device is not None:
                links[node_id] = device.id
        for node_id in [n for n in self._links if self._links[n] != links.get(n)]:
            self._unwatch(node_id)
        for node_id, device_id in links.items():
            if self._links.get(node_id) != device_id:
                self._watch(node_id, device_id)
        self._links = links

    @callback
    def _watch(self, node_id: str, device_id: str) -> None:
        @callback
        def changed(_event: Event[Any]) -> None:
            self._schedule(node_id)

        self._watchers[node_id] = [
            async_track_device_registry_updated_event(self.hass, device_id, changed),
            async_track_state_change_event(
                self.hass, esphome_entity_ids(self.hass, device_id), changed
            ),
        ]
        self._schedule(node_id)

    @callback
    def _unwatch(self, node_id: str) -> None:
        for unsub in self._watchers.pop(node_id, []):
            unsub()
        self._sent.pop(node_id, None)

    # ---- reports --------------------------------------------------------------------------------

    @callback
    def _schedule(self, node_id: str) -> None:
        if node_id in self._pending:
            return

        @callback
        def fire(_now: datetime) -> None:
            self._pending.pop(node_id, None)
            self.entry.async_create_background_task(
                self.hass, self._send(node_id), f"esphome_forge presence {node_id}"
            )

        self._pending[node_id] = async_call_later(self.hass, DEBOUNCE_SECONDS, fire)

    @callback
    def _refresh_all(self, _now: datetime) -> None:
        # Re-watching forgets what was sent, so every report goes out again (keeping it fresh),
        # and entities added to an ESPHome device since it was watched are picked up.
        for node_id, device_id in self._links.items():
            self._unwatch(node_id)
            self._watch(node_id, device_id)

    def report(self, node_id: str) -> dict[str, Any] | None:
        """What HA knows about the node's ESPHome device; None when it cannot tell."""
        device_id = self._links.get(node_id)
        device = dr.async_get(self.hass).async_get(device_id) if device_id else None
        if device is None:
            return None
        online, changed_at = connection_state(self.hass, device.id)
        if online is None:
            return None
        mac = next((v for k, v in device.connections if k == CONNECTION_NETWORK_MAC), None)
        report: dict[str, Any] = {
            "online": online,
            "esphomeVersion": reported_esphome_version(device.sw_version),
            "projectVersion": reported_project_version(device.sw_version),
            "mac": mac,
        }
        if not online and changed_at is not None:
            report["lastSeen"] = changed_at.isoformat()
        return report

    async def _send(self, node_id: str) -> None:
        report = self.report(node_id)
        if report is None or report == self._sent.get(node_id):
            return
        client = self.entry.runtime_data.client
        try:
            await client.report_presence(node_id, report)
        except ForgeApiError as err:
            # A MAC the sidecar knows otherwise, or a node just removed: say so once, keep going.
            self._warn(node_id, f"{err.code}: {err.message}")
            return
        except ForgeError as err:
            LOGGER.debug("Presence report for %s not sent: %s", node_id, err)
            return
        self._sent[node_id] = report

    def _warn(self, node_id: str, message: str) -> None:
        if node_id not in self._warned:
            self._warned.add(node_id)
            LOGGER.warning("The sidecar refused the presence of %s: %s", node_id, message)
