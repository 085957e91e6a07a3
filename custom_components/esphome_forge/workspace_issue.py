"""The repairs issue for the config history's remote push (the sidecar's WorkspaceStatus.remote).

The sidecar pushes the config folder's history to an optional remote after each commit and retries
failures itself; while the last push failed, HA shows an issue naming the remote and git's reason.
It clears itself after the next successful push, or when the remote is removed.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN

ISSUE_CONFIG_PUSH: str = "config_push_failed"


def issue_id(entry_id: str) -> str:
    """One issue per sidecar."""
    return f"{ISSUE_CONFIG_PUSH}_{entry_id}"


@callback
def update_push_issue(
    hass: HomeAssistant, entry_id: str, title: str, status: dict[str, Any] | None
) -> None:
    """Raise or clear the push issue from a WorkspaceStatus (None: a sidecar without one)."""
    remote = (status or {}).get("remote") or {}
    if remote.get("state") != "failing":
        ir.async_delete_issue(hass, DOMAIN, issue_id(entry_id))
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_CONFIG_PUSH,
        translation_placeholders={
            "title": title,
            "remote": str(remote.get("url") or ""),
            "branch": str(remote.get("branch") or ""),
            "failures": str(remote.get("failures") or 0),
            "error": str(remote.get("lastError") or ""),
        },
    )
