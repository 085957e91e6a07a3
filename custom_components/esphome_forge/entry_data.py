"""What a loaded config entry holds (`entry.runtime_data`), as HA core's esphome integration keeps it.

Every module that takes an entry imports its type from here, so none of them has to import the
coordinator (and the coordinator none of them) just to name it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry

if TYPE_CHECKING:
    from .api import ForgeClient
    from .coordinator import ForgeCoordinator
    from .trust_status import TrustStatusWatcher

type ForgeConfigEntry = ConfigEntry[ForgeRuntimeData]


@dataclass
class ForgeRuntimeData:
    """REST client, push coordinator, trust watcher, the sidecar's /info."""

    client: ForgeClient
    coordinator: ForgeCoordinator
    trust: TrustStatusWatcher
    info: dict[str, Any]
