"""The sidecar's content-trust status (GET /trust/status) and the repairs issues it raises.

The status says whether the transparency log passed its consistency check and whether the
revocation list is usable (signed correctly, not expired). A failed check or an unusable list is a
repairs issue; it clears itself once a later status is healthy again. The status is fetched at
setup, after every fresh snapshot (a restarted sidecar audits its log again) and, debounced, when
a device's trust verdicts or policy change (revocations and the list's expiry re-announce every
device) — never by polling.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.storage import Store

from .api import ForgeApiError, ForgeClient, ForgeError
from .const import (
    DOMAIN,
    ISSUE_LOG_WITNESS,
    ISSUE_REVOCATION_LIST,
    ISSUE_TRUST_LOG,
    LOGGER,
    TRUST_STATUS_DEBOUNCE,
)
from .log_witness import witness

if TYPE_CHECKING:
    from .entry_data import ForgeConfigEntry

# How many of the audit's named problems an issue quotes.
MAX_PROBLEMS_SHOWN = 5
WITNESS_STORAGE_VERSION = 1


def _trust_key(device: dict[str, Any] | None) -> str:
    """What about a device bears on the trust status: its verdicts and its own policy."""
    if device is None:
        return ""
    return json.dumps([device.get("trust"), device.get("trustPolicy")], sort_keys=True)


class TrustStatusWatcher:
    """Holds the last trust status of one sidecar and keeps its repairs issues in step."""

    def __init__(self, hass: HomeAssistant, entry: ForgeConfigEntry, client: ForgeClient) -> None:
        """Nothing is fetched until `async_refresh` or a relayed event asks for it."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.status: dict[str, Any] | None = None
        self.last_error: str | None = None
        self._device_trust: dict[str, str] = {}
        # The newest checkpoint HA has witnessed, kept in HA's storage (outside the sidecar's data folder).
        self._witness_store: Store[dict[str, Any]] = Store(
            hass, WITNESS_STORAGE_VERSION, f"{DOMAIN}.log_witness.{entry.entry_id}"
        )
        self.witness: dict[str, Any] | None = None
        self._debouncer = Debouncer(
            hass,
            LOGGER,
            cooldown=TRUST_STATUS_DEBOUNCE,
            immediate=False,
            function=self.async_refresh,
            background=True,
        )

    async def async_fetch(self) -> dict[str, Any]:
        """Fetch the status now, update the issues and return it (raises ForgeError)."""
        status = await self.client.trust_status()
        if status.get("log", {}).get("size", 0) > 0:
            await self._witness_log()
        status = {**status, "witness": self.witness}
        self.status = status
        self.last_error = None
        self._update_issues(status)
        return status

    async def _witness_log(self) -> None:
        """Check the log's newest checkpoint against the one HA kept (consistency proof)."""
        stored = await self._witness_store.async_load()
        result, keep = await witness(self.client, stored)
        if keep is not stored:
            await self._witness_store.async_save(keep)
        self.witness = {
            "state": result.state,
            "ok": result.ok,
            "treeSize": result.tree_size,
            "witnessedSize": result.witnessed_size,
            "witnessedAt": keep.get("witnessed_at"),
            "problem": result.problem,
        }

    async def async_refresh(self) -> None:
        """Fetch the status; a failure is logged and leaves the issues as they were."""
        try:
            await self.async_fetch()
        except ForgeApiError as err:
            if err.status == 404:
                # A sidecar without content trust: nothing to report.
                LOGGER.debug("The sidecar at %s has no trust status", self.client.url)
                self._update_issues(None)
                return
            self.last_error = err.message
            LOGGER.debug("Trust status from %s failed: %s", self.client.url, err)
        except ForgeError as err:
            self.last_error = str(err)
            LOGGER.debug("Trust status from %s failed: %s", self.client.url, err)

    @callback
    def handle_event(self, event: dict[str, Any]) -> None:
        """A relayed stream event: refresh after a fresh snapshot or a device's trust change."""
        kind = event.get("type")
        if kind == "snapshot":
            self._device_trust = {d["id"]: _trust_key(d) for d in event.get("devices", [])}
            self._debouncer.async_schedule_call()
        elif kind == "device":
            device = event.get("device")
            key = _trust_key(device if event.get("op") != "remove" else None)
            if self._device_trust.get(event["id"], "") != key:
                if key:
                    self._device_trust[event["id"]] = key
                else:
                    self._device_trust.pop(event["id"], None)
                self._debouncer.async_schedule_call()

    @callback
    def async_shutdown(self) -> None:
        """Stop pending fetches and drop this entry's trust issues (unload)."""
        self._debouncer.async_shutdown()
        ir.async_delete_issue(self.hass, DOMAIN, self._issue_id(ISSUE_TRUST_LOG))
        ir.async_delete_issue(self.hass, DOMAIN, self._issue_id(ISSUE_REVOCATION_LIST))
        ir.async_delete_issue(self.hass, DOMAIN, self._issue_id(ISSUE_LOG_WITNESS))

    def _issue_id(self, prefix: str) -> str:
        return f"{prefix}_{self.entry.entry_id}"

    @callback
    def _update_issues(self, status: dict[str, Any] | None) -> None:
        self._update_log_issue(status)
        self._update_revocation_issue(status)
        self._update_witness_issue(status)

    def _update_witness_issue(self, status: dict[str, Any] | None) -> None:
        issue_id = self._issue_id(ISSUE_LOG_WITNESS)
        seen = (status or {}).get("witness")
        if not seen or seen.get("ok", True):
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        self._raise_issue(
            issue_id,
            "trust_log_forked",
            state=str(seen["state"]),
            witnessed_size=str(seen["witnessedSize"]),
            tree_size=str(seen["treeSize"]),
            problem=str(seen["problem"]),
        )

    def _update_log_issue(self, status: dict[str, Any] | None) -> None:
        issue_id = self._issue_id(ISSUE_TRUST_LOG)
        audit = (status or {}).get("log", {}).get("audit")
        if not audit or audit.get("ok", True):
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        problems: list[str] = audit.get("problems") or []
        shown = "\n".join(f"- {p}" for p in problems[:MAX_PROBLEMS_SHOWN])
        if len(problems) > MAX_PROBLEMS_SHOWN:
            shown += f"\n- … ({len(problems) - MAX_PROBLEMS_SHOWN} more)"
        self._raise_issue(
            issue_id,
            "trust_log_inconsistent",
            checked_at=str(audit.get("checkedAt", "")),
            count=str(len(problems)),
            problems=shown,
        )

    def _update_revocation_issue(self, status: dict[str, Any] | None) -> None:
        issue_id = self._issue_id(ISSUE_REVOCATION_LIST)
        error = (status or {}).get("revocationError")
        revocations = (status or {}).get("revocations")
        if error:
            self._raise_issue(issue_id, "revocation_list_invalid", error=str(error))
        elif revocations and revocations.get("expired"):
            self._raise_issue(
                issue_id,
                "revocation_list_expired",
                version=str(revocations.get("version", "")),
                expires_at=str(revocations.get("expiresAt", "")),
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    def _raise_issue(self, issue_id: str, translation_key: str, **placeholders: str) -> None:
        """Create (or update) one of this entry's trust issues; they are errors the user must act on."""
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=translation_key,
            translation_placeholders={**self._placeholders(), **placeholders},
        )

    def _placeholders(self) -> dict[str, str]:
        return {"url": self.client.url, "title": self.entry.title}
