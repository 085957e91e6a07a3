"""Update entity per node: what runs on the device versus what Forge would build now.

Versions are `<ESPHome version>+<first 8 hex of the config hash>`: the installed one comes from the
last job that successfully flashed the node, the latest one from the node's current config and the
ESPHome version Forge would use (the node's pin, else the fleet default). They are identities, not
ordered versions: an update is available whenever they differ.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.update import (
    UpdateDeviceClass,
    UpdateEntity,
    UpdateEntityDescription,
    UpdateEntityFeature,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import ESPHOME_CHANGELOG_URL, FLASH_ACTIONS
from .coordinator import ForgeConfigEntry
from .entity import ForgeNodeEntity, async_setup_dynamic
from .helpers import forge_call

PARALLEL_UPDATES = 1

FIRMWARE = UpdateEntityDescription(
    key="update",
    translation_key="firmware",
    device_class=UpdateDeviceClass.FIRMWARE,
)


def firmware_version(esphome_version: str | None, config_hash: str | None) -> str | None:
    """`2026.10.0+1a2b3c4d`; None when the config hash is unknown."""
    if not config_hash:
        return None
    short = config_hash[:8]
    return f"{esphome_version}+{short}" if esphome_version else short


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

    @property
    def _flash_job(self) -> dict[str, Any] | None:
        return self.coordinator.data.last_flash.get(self.device_id)

    def _target_esphome_version(self) -> str | None:
        node = self.node
        data = self.coordinator.data
        flashed = self._flash_job
        return (
            node.get("pinnedVersion")
            or data.settings.get("defaultEsphomeVersion")
            or (flashed or {}).get("esphomeVersion")
            or (node.get("lastBuild") or {}).get("esphomeVersion")
        )

    @property
    def installed_version(self) -> str | None:
        """What Forge last flashed; else the ESPHome version ESPHome reports; else unknown."""
        flashed = self._flash_job
        if flashed is None:
            if self.esphome_device_id is not None and (
                device := dr.async_get(self.hass).async_get(self.esphome_device_id)
            ):
                # The node runs firmware Forge did not build: its config identity is unknown.
                return device.sw_version.split(" ")[0] if device.sw_version else None
            return None
        return firmware_version(flashed.get("esphomeVersion"), flashed.get("configHash"))

    @property
    def latest_version(self) -> str | None:
        """What Forge would build from the current config."""
        node = self.node
        if node.get("error"):
            # The config cannot be read: nothing newer can be built; keep what runs.
            return self.installed_version
        if not node.get("outdated") and self.installed_version is not None:
            return self.installed_version
        return firmware_version(self._target_esphome_version(), node.get("configHash"))

    def version_is_newer(self, latest_version: str, installed_version: str) -> bool:
        """Versions are build identities: any difference is an update."""
        return latest_version != installed_version

    @property
    def release_url(self) -> str | None:
        """ESPHome's changelog for the release Forge builds with."""
        version = self._target_esphome_version()
        if not version or version == "dev":
            return None
        year, month, *_ = version.split(".")
        return ESPHOME_CHANGELOG_URL.format(version=f"{year}.{month}.0")

    @property
    def release_summary(self) -> str | None:
        """A one-line reason for the update."""
        node = self.node
        if node.get("error"):
            return f"Config cannot be read: {node['error']}"[:255]
        if self._flash_job is None:
            return "Forge has not flashed this device yet."
        if node.get("outdated"):
            return "The config or the ESPHome version changed since the last flash."
        return None

    def _flash_in_progress(self) -> dict[str, Any] | None:
        job = self.coordinator.data.active_job(self.device_id)
        if job is not None and job["action"] in FLASH_ACTIONS:
            return job
        return None

    @property
    def in_progress(self) -> bool:
        """True while a compile+upload or upload job is queued or running."""
        return self._flash_in_progress() is not None

    @property
    def update_percentage(self) -> int | None:
        """The running job's progress, when the worker reports one."""
        job = self._flash_in_progress()
        if job is None or job["state"] != "running" or job.get("progress") is None:
            return None
        return round(job["progress"])

    async def async_install(self, version: str | None, backup: bool, **kwargs: Any) -> None:
        """Queue compile + OTA; the live job drives in_progress and the percentage."""
        async with forge_call(self.entry):
            await self.coordinator.client.create_jobs(
                "compile_upload", [self.device_id], priority="interactive", source="ha"
            )
