"""Workers waiting for the admin, and a sidecar open to plain HTTP, as repairs issues.

A new worker (or a new key under a known worker) waits as `pending` on the sidecar with its key's
fingerprint: no job, no secret, until an admin approves it. Home Assistant raises one fixable repairs
issue per waiting worker; its fix flow shows the fingerprint to compare and approves exactly that key
(`POST /workers/{id}/approve` with the fingerprint: a key swapped meanwhile is refused by the sidecar).
A sidecar started with `--insecure-transport` is a warning issue of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN
from .tls_pin import format_fingerprint

if TYPE_CHECKING:
    from .entry_data import ForgeConfigEntry
    from .models import Worker

ISSUE_WORKER_PENDING = "worker_pending"
ISSUE_INSECURE_TRANSPORT = "insecure_transport"


def pending_issue_id(entry_id: str, worker_id: str) -> str:
    """One issue per entry and waiting worker."""
    return f"{ISSUE_WORKER_PENDING}_{entry_id}_{worker_id}"


@callback
def update_worker_issues(
    hass: HomeAssistant, entry: ForgeConfigEntry, workers: Mapping[str, Worker]
) -> None:
    """Raise an issue for each pending worker, clear the ones decided meanwhile."""
    prefix = f"{ISSUE_WORKER_PENDING}_{entry.entry_id}_"
    wanted: set[str] = set()
    for worker_id, worker in workers.items():
        key = worker.get("pendingKey")
        if worker.get("enrolment") == "revoked" or not key:
            continue
        issue_id = pending_issue_id(entry.entry_id, worker_id)
        wanted.add(issue_id)
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=True,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="worker_key_rotation"
            if key.get("kind") == "rotate"
            else ISSUE_WORKER_PENDING,
            translation_placeholders={
                "name": str(worker.get("name", worker_id)),
                "worker_id": worker_id,
                "fingerprint": format_fingerprint(key["fingerprint"]),
                "title": entry.title,
            },
            data={
                "entry_id": entry.entry_id,
                "worker_id": worker_id,
                "fingerprint": key["fingerprint"],
            },
        )
    registry = ir.async_get(hass)
    for (domain, issue_id), _ in list(registry.issues.items()):
        if domain == DOMAIN and issue_id.startswith(prefix) and issue_id not in wanted:
            ir.async_delete_issue(hass, DOMAIN, issue_id)


@callback
def update_transport_issue(
    hass: HomeAssistant, entry: ForgeConfigEntry, info: dict[str, Any]
) -> None:
    """A warning while the sidecar accepts plain HTTP from other machines."""
    issue_id = f"{ISSUE_INSECURE_TRANSPORT}_{entry.entry_id}"
    if any(p.get("code") == ISSUE_INSECURE_TRANSPORT for p in info.get("problems") or []):
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_INSECURE_TRANSPORT,
            translation_placeholders={"title": entry.title},
        )
    else:
        ir.async_delete_issue(hass, DOMAIN, issue_id)


def reject_path(worker_id: str) -> str:
    """The sidecar route that rejects a worker's pending key."""
    return f"/workers/{quote(worker_id, safe='')}/reject"


def approve_path(worker_id: str) -> str:
    """The sidecar route that approves a worker's pending key."""
    return f"/workers/{quote(worker_id, safe='')}/approve"
