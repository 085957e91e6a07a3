"""Names of the entry and its devices.

The entry's title names the hub device and its workers, and through them the entity ids HA makes
(`sensor.forge_for_esphome_queue_depth`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from yarl import URL

from .const import PRODUCT_NAME

if TYPE_CHECKING:
    from .entry_data import ForgeConfigEntry
    from .models import Worker


def default_title(taken: set[str], url: str) -> str:
    """The title of a new entry: short and stable.

    The product name; the host (then host and port) only to tell a second sidecar apart. Decided
    once, at creation: a later change of address keeps it.
    """
    parsed = URL(url)
    candidates = (
        PRODUCT_NAME,
        f"{PRODUCT_NAME} ({parsed.host})",
        f"{PRODUCT_NAME} ({parsed.host}:{parsed.port})",
    )
    return next((title for title in candidates if title not in taken), candidates[-1])


def legacy_title(url: str) -> str:
    """The title entries got before 1.2: it put host and port into every hub entity id."""
    parsed = URL(url)
    return f"{PRODUCT_NAME} ({parsed.host}:{parsed.port})"


def worker_device_name(entry: ForgeConfigEntry, worker: Worker) -> str:
    """Named after the sidecar, so two sidecars' built-in workers differ."""
    if worker.get("local"):
        return f"{entry.title} local worker"
    return f"{entry.title} worker {worker.get('name') or worker['id']}"
