"""Fix flows for the integration's repairs issues: approving a worker that waits for the admin."""

from __future__ import annotations

from typing import Any

import voluptuous as vol

from homeassistant.components.repairs import RepairsFlow
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult

from .api import ForgeApiError, ForgeError
from .tls_pin import format_fingerprint
from .worker_enrolment import approve_path


class WorkerApprovalFlow(RepairsFlow):
    """Show the waiting worker's key fingerprint; approve exactly that key."""

    def __init__(self, data: dict[str, Any]) -> None:
        """`data`: the issue's entry id, worker id and the fingerprint it showed."""
        self._data = data

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> FlowResult:
        """Start: the flow manager hands in the issue id here, not an answer."""
        return await self.async_step_confirm()

    async def async_step_confirm(self, user_input: dict[str, Any] | None = None) -> FlowResult:
        """One confirmation form."""
        errors: dict[str, str] = {}
        placeholders = {
            "worker_id": self._data["worker_id"],
            "fingerprint": format_fingerprint(self._data["fingerprint"]),
        }
        if user_input is not None:
            entry = self.hass.config_entries.async_get_entry(self._data["entry_id"])
            if entry is None or not hasattr(entry, "runtime_data"):
                return self.async_abort(reason="not_loaded")
            try:
                await entry.runtime_data.client.request(
                    "POST",
                    approve_path(self._data["worker_id"]),
                    json={"fingerprint": self._data["fingerprint"]},
                )
            except ForgeApiError as err:
                placeholders["error"] = err.message
                errors["base"] = "approve_refused"
            except ForgeError as err:
                placeholders["error"] = str(err)
                errors["base"] = "cannot_connect"
            else:
                return self.async_create_entry(data={})
        return self.async_show_form(
            step_id="confirm",
            data_schema=vol.Schema({}),
            description_placeholders=placeholders,
            errors=errors,
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """The fix flow for a fixable issue (only waiting workers are fixable)."""
    return WorkerApprovalFlow(dict(data or {}))
