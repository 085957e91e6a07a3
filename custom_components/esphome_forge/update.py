"""Update entity per node: what runs on the device versus what Forge would build now.

The versions, whether an install is offered and the one-line reason come from `firmware_state`;
this module feeds it the sidecar's data and what HA's ESPHome integration reports for the device,
and runs the install (admins only).
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.update import (
    UpdateDeviceClass,
    UpdateEntity,
    UpdateEntityDescription,
    UpdateEntityFeature,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_device_registry_updated_event

from .const import DOMAIN, ESPHOME_CHANGELOG_URL, FLASH_ACTIONS
from .entity import ForgeNodeEntity, async_setup_dynamic
from .entry_data import ForgeConfigEntry
from .firmware_staging import (
    armed_note,
    install_plan,
    is_waiting,
    offline_note,
    staged_is_current,
    staged_note,
    waiting_job,
)
from .firmware_state import (
    FirmwareState,
    clip_summary,
    firmware_state,
    install_percentage,
    reported_esphome_version,
    target_version,
)
from .helpers import forge_call
from .models import Job, LastFlash

PARALLEL_UPDATES = 1

FIRMWARE = UpdateEntityDescription(
    key="update",
    translation_key="firmware",
    device_class=UpdateDeviceClass.FIRMWARE,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ForgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up one update entity per node."""
    coordinator = entry.runtime_data.coordinator
    async_setup_dynamic(
        entry,
        async_add_entities,
        node=lambda device_id: [ForgeFirmwareUpdate(coordinator, FIRMWARE, device_id)],
    )


class ForgeFirmwareUpdate(ForgeNodeEntity, UpdateEntity):
    """Compile and flash the node's current config through Forge."""

    _attr_supported_features = UpdateEntityFeature.INSTALL | UpdateEntityFeature.PROGRESS
    # ESPHome's own dashboard update entity is titled "ESPHome"; keep ours distinct.
    _attr_title = "ESPHome firmware (Forge)"

    async def async_added_to_hass(self) -> None:
        """Also follow the ESPHome device: the version it reports stands in until Forge flashes."""
        await super().async_added_to_hass()
        if self.esphome_device_id is not None:
            self.async_on_remove(
                async_track_device_registry_updated_event(
                    self.hass, self.esphome_device_id, self._esphome_device_updated
                )
            )

    @callback
    def _esphome_device_updated(self, _event: Event[dr.EventDeviceRegistryUpdatedData]) -> None:
        self.async_write_ha_state()

    @property
    def _flash(self) -> LastFlash | None:
        """What Forge last flashed to the node (the Device's `lastFlash`)."""
        return self.node.get("lastFlash")

    def _reported_version(self) -> str | None:
        if self.esphome_device_id is None:
            return None
        device = dr.async_get(self.hass).async_get(self.esphome_device_id)
        return reported_esphome_version(device.sw_version) if device else None

    @property
    def _state(self) -> FirmwareState:
        return firmware_state(
            self.node,
            self._flash,
            reported_version=self._reported_version(),
            staged_current=staged_is_current(self.node),
        )

    @property
    def installed_version(self) -> str | None:
        """What runs: Forge's last flash, else ESPHome's report, else `unknown`."""
        return self._state.installed

    @property
    def latest_version(self) -> str | None:
        """What Forge would build from the current config."""
        return self._state.latest

    def version_is_newer(self, latest_version: str, installed_version: str) -> bool:
        """Versions are build identities: firmware_state decides what counts as an update."""
        return self._state.update_available

    def _summary(self) -> str | None:
        """An armed install first (it is what happens next), then a staged build, then the state."""
        armed = waiting_job(self.coordinator.data.jobs, self.device_id)
        node = self.node
        state = self._state
        name = node.get("friendlyName") or node.get("name") or self.device_id
        # A staged build that is not current matters only while an install is offered (it says the
        # install builds afresh); next to an up-to-date device it is noise.
        staged = staged_note(node) if staged_is_current(node) or state.update_available else None
        if armed is not None:
            parts = [armed_note(armed, name), staged, state.summary]
        else:
            away = offline_note(node, name) if state.update_available else None
            parts = [staged, away, state.summary]
        return " ".join(p for p in parts if p) or None

    @property
    def release_summary(self) -> str | None:
        """Why an install is (or is not) offered, in one line; and a newer ESPHome release, if any."""
        summary = self._summary()
        release = self.coordinator.data.esphome_release
        if release is None or self.node.get("pinnedVersion"):
            return clip_summary(summary) if summary else None
        builds_with = release.get("fleetVersion") or "each worker's own version"
        news = (
            f"ESPHome {release['version']} is available (Forge builds with {builds_with}): "
            f"{release.get('releaseNotesUrl')}."
        )
        # The news first (it carries the link); HA keeps at most 255 characters of a summary.
        return clip_summary(f"{news} {summary}" if summary else news)

    @property
    def release_url(self) -> str | None:
        """ESPHome's changelog for the release Forge builds with."""
        version = target_version(self.node, self._flash)
        if not version or version == "dev":
            return None
        year, month, *_ = version.split(".")
        return ESPHOME_CHANGELOG_URL.format(version=f"{year}.{month}.0")

    def _flash_in_progress(self) -> Job | None:
        job = self.coordinator.data.active_job(self.device_id)
        # An armed flash (waiting_for_device) may wait for days: it is told in the summary, not
        # shown as an install in progress (firmware_staging.py).
        if job is not None and job["action"] in FLASH_ACTIONS and not is_waiting(job):
            return job
        return None

    @property
    def in_progress(self) -> bool:
        """True while a compile+upload or upload job is queued or running (not while armed)."""
        return self._flash_in_progress() is not None

    @property
    def update_percentage(self) -> int | None:
        """The whole install's progress, in 10 % steps."""
        return install_percentage(self._flash_in_progress())

    async def async_install(self, version: str | None, backup: bool, **kwargs: Any) -> None:
        """Queue the install (admins only); the live job drives in_progress and the percentage.

        A current staged build is flashed as it is (no recompile), else the config is compiled and
        flashed; an offline device is armed: it is flashed when it is back (firmware_staging.py).
        """
        await self.async_require_admin("update.install")
        state = self._state
        if state.install_refusal is not None:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key=state.install_refusal,
                translation_placeholders={
                    "entity_id": self.entity_id,
                    "reason": state.summary or "",
                },
            )
        plan = install_plan(self.node)
        armed = waiting_job(self.coordinator.data.jobs, self.device_id)
        if armed is not None and plan.action == "upload":
            # The armed flash holds the newest approved build, which is the staged one: flashing
            # it again is a duplicate. A fresh build (the config changed since) is allowed: the
            # sidecar lets it replace the armed flash.
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="install_already_armed",
                translation_placeholders={"entity_id": self.entity_id, "job_id": str(armed["id"])},
            )
        async with forge_call(self.entry):
            await self.coordinator.client.create_jobs(
                plan.action,
                [self.device_id],
                priority="interactive",
                params=plan.params,
                source="ha",
            )
