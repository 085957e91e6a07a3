"""Content-trust status in HA: the card's WebSocket command and the repairs issues it drives."""

from __future__ import annotations

from collections.abc import Generator
from datetime import UTC, datetime, timedelta
import sqlite3
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.esphome_forge.const import DOMAIN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .conftest import ENTRY_ID, async_wait_for
from .sidecar import Sidecar

LOG_ISSUE = f"trust_log_inconsistent_{ENTRY_ID}"
REVOCATION_ISSUE = f"revocation_list_{ENTRY_ID}"


@pytest.fixture(autouse=True)
def quick_trust_debounce() -> Generator[None]:
    """Fetch the status shortly after a trust change instead of after the production cooldown."""
    with patch("custom_components.esphome_forge.trust_status.TRUST_STATUS_DEBOUNCE", 0.2):
        yield


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def _build_porch(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Compile porch (no upload), so it has firmware whose trust the sidecar evaluates."""
    device = "porch"
    await hass.services.async_call(
        DOMAIN, "compile", {"tag": ["outdoor"], "upload": False}, blocking=True
    )
    devices = entry.runtime_data.coordinator.data.devices
    await async_wait_for(
        lambda: devices[device]["trust"]["pending"]["state"] == "verified",
        what=f"{device} built and verified",
    )


async def test_trust_status_command(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
) -> None:
    """The sidecar's TrustStatus as it is, for admins only; a healthy sidecar raises no issue."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "esphome_forge/trust_status"})
    msg = await client.receive_json()
    assert msg["success"], msg
    status = msg["result"]
    assert status["policy"] == "enforce"
    # A fresh sidecar has published no revocation list yet.
    assert status["revocations"] is None
    assert status["revocationError"] is None
    assert status["log"]["audit"]["ok"] is True
    assert status["keys"]["active"] >= 1
    assert init_integration.runtime_data.trust.status == status

    await client.send_json_auto_id({"type": "esphome_forge/trust_status", "entry_id": "nope"})
    assert (await client.receive_json())["error"]["code"] == "not_found"

    reader = await hass_ws_client(hass, hass_read_only_access_token)
    await reader.send_json_auto_id({"type": "esphome_forge/trust_status"})
    assert (await reader.receive_json())["error"]["code"] == "unauthorized"

    issues = ir.async_get(hass)
    assert issues.async_get_issue(DOMAIN, LOG_ISSUE) is None
    assert issues.async_get_issue(DOMAIN, REVOCATION_ISSUE) is None


async def test_expired_revocation_list_issue(
    hass: HomeAssistant, sidecar: Sidecar, init_integration: MockConfigEntry
) -> None:
    """A list that expires raises an issue (devices re-announced); a fresh list clears it."""
    client = init_integration.runtime_data.client
    issues = ir.async_get(hass)
    await _build_porch(hass, init_integration)

    # An offline signer with the revocation key issues a list that expires in a few seconds.
    now = datetime.now(UTC)
    short_lived = {
        "version": 1,
        "issuedAt": _iso(now),
        "expiresAt": _iso(now + timedelta(seconds=3)),
        "entries": [],
    }
    bundle = await hass.async_add_executor_job(sidecar.sign_revocation_list, short_lived)
    imported = await client.request("POST", "/trust/revocations/import", json=bundle)
    assert imported["version"] == short_lived["version"]
    assert issues.async_get_issue(DOMAIN, REVOCATION_ISSUE) is None

    await async_wait_for(
        lambda: issues.async_get_issue(DOMAIN, REVOCATION_ISSUE) is not None,
        what="the expired-list issue",
    )
    issue = issues.async_get_issue(DOMAIN, REVOCATION_ISSUE)
    assert issue.translation_key == "revocation_list_expired"
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders["version"] == str(short_lived["version"])
    assert issue.translation_placeholders["url"] == sidecar.url

    # Publishing a new list (HA's revoke action) makes it fresh again.
    await hass.services.async_call(
        DOMAIN,
        "revoke",
        {"signer": "never-enrolled-key", "reason": "republish"},
        blocking=True,
        return_response=True,
    )
    await async_wait_for(
        lambda: issues.async_get_issue(DOMAIN, REVOCATION_ISSUE) is None,
        what="the expired-list issue to clear",
    )
    assert init_integration.runtime_data.trust.status["revocations"]["expired"] is False


def _flip_log_row(data_dir: str) -> tuple[int, bytes]:
    """Edit one byte of a transparency-log row (sidecar stopped); return what it was."""
    db = sqlite3.connect(f"{data_dir}/forge.db")
    try:
        idx, body = db.execute(
            "SELECT idx, body FROM trust_log_leaves ORDER BY idx DESC LIMIT 1"
        ).fetchone()
        edited = bytearray(body)
        edited[-2] ^= 0x01
        db.execute("UPDATE trust_log_leaves SET body = ? WHERE idx = ?", (bytes(edited), idx))
        db.commit()
    finally:
        db.close()
    return idx, bytes(body)


def _restore_log_row(data_dir: str, idx: int, body: bytes) -> None:
    db = sqlite3.connect(f"{data_dir}/forge.db")
    try:
        db.execute("UPDATE trust_log_leaves SET body = ? WHERE idx = ?", (body, idx))
        db.commit()
    finally:
        db.close()


async def test_tampered_log_issue(
    hass: HomeAssistant, sidecar: Sidecar, init_integration: MockConfigEntry
) -> None:
    """A log row edited while the sidecar was down: an issue after it restarts; restored: gone."""
    issues = ir.async_get(hass)
    coordinator = init_integration.runtime_data.coordinator
    await _build_porch(hass, init_integration)

    await hass.async_add_executor_job(sidecar.stop)
    await async_wait_for(lambda: not coordinator.connected, what="disconnected")
    idx, body = await hass.async_add_executor_job(_flip_log_row, str(sidecar.data_dir))
    await hass.async_add_executor_job(sidecar.restart)
    await async_wait_for(
        lambda: issues.async_get_issue(DOMAIN, LOG_ISSUE) is not None,
        what="the log issue after the restart",
    )
    issue = issues.async_get_issue(DOMAIN, LOG_ISSUE)
    assert issue.translation_key == "trust_log_inconsistent"
    assert issue.severity is ir.IssueSeverity.ERROR
    assert str(idx) in issue.translation_placeholders["problems"]
    assert int(issue.translation_placeholders["count"]) >= 1

    await hass.async_add_executor_job(sidecar.stop)
    await async_wait_for(lambda: not coordinator.connected, what="disconnected again")
    await hass.async_add_executor_job(_restore_log_row, str(sidecar.data_dir), idx, body)
    await hass.async_add_executor_job(sidecar.restart)
    await async_wait_for(
        lambda: issues.async_get_issue(DOMAIN, LOG_ISSUE) is None,
        what="the log issue to clear",
    )
    assert init_integration.runtime_data.trust.status["log"]["audit"]["ok"] is True
