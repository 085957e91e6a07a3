"""Fleet operations in HA against a real sidecar: schedules (the card's commands, sensor attributes,
the schedule_ran event), repairs issues for the sidecar's alerts, the ESPHome release event and the
update entities' release summary. Device online/offline events: test_presence.py, from real presence."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.esphome_forge.const import DOMAIN, EVENT_ESPHOME_RELEASE, EVENT_SCHEDULE_RAN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .conftest import ENTRY_ID, async_wait_for, node_entity

FAKE_PYTHON = Path(__file__).parent.parent / "sidecar" / "test-support" / "fake-python.sh"
NEXT_RUN_SENSOR = "sensor.forge_for_esphome_next_scheduled_run"


@pytest.fixture(autouse=True)
def fake_pip(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sidecar asks a stand-in interpreter's pip for ESPHome releases (no network)."""
    monkeypatch.setenv("FORGE_PYTHON", str(FAKE_PYTHON))
    monkeypatch.setenv("FAKE_PIP_INDEX", "2026.12.1, 2026.11.2, 2026.10.0")


async def test_schedules_commands_sensor_and_event(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
) -> None:
    """Admins create and run schedules from the card; the next run shows on sensors; a run fires an event."""
    ran = async_capture_events(hass, EVENT_SCHEDULE_RAN)
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "esphome_forge/schedules/create",
            "schedule": {
                "name": "Kitchen nightly",
                "target": {"kind": "tag", "tag": "kitchen"},
                "action": "compile",
                "when": {"cron": "0 3 * * *", "timeZone": "Europe/Berlin"},
            },
        }
    )
    msg = await client.receive_json()
    assert msg["success"], msg
    schedule = msg["result"]
    assert schedule["nextRunAt"] is not None
    data = init_integration.runtime_data.coordinator.data
    await async_wait_for(lambda: schedule["id"] in data.schedules, what="the schedule delta")
    await hass.async_block_till_done()

    state = hass.states.get(NEXT_RUN_SENSOR)
    assert state is not None
    assert state.attributes["device_class"] == "timestamp"
    assert state.state == schedule["nextRunAt"].replace("Z", "+00:00").replace(".000", "")
    [listed] = state.attributes["schedules"]
    assert listed == {
        "id": schedule["id"],
        "name": "Kitchen nightly",
        "enabled": True,
        "target": "tag kitchen",
        "action": "compile",
        "only_outdated": False,
        "cron": "0 3 * * *",
        "time_zone": "Europe/Berlin",
        "at": None,
        "next_run": schedule["nextRunAt"],
        "last_run": None,
        "last_outcome": None,
    }
    kitchen = hass.states.get(node_entity(hass, "sensor", "kitchen", "build_status"))
    assert kitchen.attributes["next_scheduled_run"] == state.state
    porch = hass.states.get(node_entity(hass, "sensor", "porch", "build_status"))
    assert porch.attributes["next_scheduled_run"] is None

    # The sidecar's own checks answer through HA.
    await client.send_json_auto_id(
        {
            "type": "esphome_forge/schedules/create",
            "schedule": {
                "target": {"kind": "fleet"},
                "when": {"cron": "0 3 * *", "timeZone": "UTC"},
            },
        }
    )
    error = (await client.receive_json())["error"]
    assert error["code"] == "invalid_format"
    assert "expected 5 fields" in error["message"]

    await client.send_json_auto_id(
        {"type": "esphome_forge/schedules/run", "schedule_id": schedule["id"]}
    )
    msg = await client.receive_json()
    assert msg["success"], msg
    assert msg["result"]["outcome"] == "queued"
    await async_wait_for(lambda: len(ran) == 1, what="esphome_forge_schedule_ran")
    event = ran[0].data
    assert event["config_entry_id"] == ENTRY_ID
    assert event["schedule_id"] == schedule["id"]
    assert event["name"] == "Kitchen nightly"
    assert event["outcome"] == "queued"
    assert event["trigger"] == "manual"
    assert event["job_ids"] == msg["result"]["jobIds"]
    assert event["next_run"] == schedule["nextRunAt"]

    # Editing: disabled → no next run; then deleted.
    await client.send_json_auto_id(
        {
            "type": "esphome_forge/schedules/update",
            "schedule_id": schedule["id"],
            "patch": {"enabled": False},
        }
    )
    assert (await client.receive_json())["result"]["nextRunAt"] is None
    await async_wait_for(
        lambda: hass.states.get(NEXT_RUN_SENSOR).state == "unknown", what="no next run"
    )
    await client.send_json_auto_id(
        {"type": "esphome_forge/schedules/delete", "schedule_id": schedule["id"]}
    )
    assert (await client.receive_json())["success"]
    await async_wait_for(lambda: not data.schedules, what="the schedule removed")

    reader = await hass_ws_client(hass, hass_read_only_access_token)
    await reader.send_json_auto_id(
        {
            "type": "esphome_forge/schedules/create",
            "schedule": {"target": {"kind": "fleet"}, "when": {"at": "2099-01-01T00:00:00Z"}},
        }
    )
    assert (await reader.receive_json())["error"]["code"] == "unauthorized"


async def test_builds_failing_alert_is_a_repairs_issue(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The sidecar's builds_failing alert raises a repairs issue, which goes when the alert clears."""
    client = init_integration.runtime_data.client
    await client.request("PATCH", "/settings", json={"failingBuildsAlert": 2})
    coordinator = init_integration.runtime_data.coordinator
    for _ in range(2):
        created = await client.create_jobs("compile", ["shed"])
        job = await coordinator.async_wait_job(created["jobs"][0]["jobId"], 30)
        assert job["state"] == "failed"
    issue_id = f"alert_{ENTRY_ID}_builds_failing_shed"
    issues = ir.async_get(hass)
    await async_wait_for(
        lambda: issues.async_get_issue(DOMAIN, issue_id) is not None, what="the repairs issue"
    )
    issue = issues.async_get_issue(DOMAIN, issue_id)
    assert issue.translation_key == "builds_failing"
    assert issue.severity == ir.IssueSeverity.WARNING
    assert issue.translation_placeholders["device"] == "shed"
    assert issue.translation_placeholders["failures"] == "2"
    # The failed job's error, as the sidecar recorded it.
    assert issue.translation_placeholders["last_error"] == job["error"]

    await client.request("PATCH", "/settings", json={"failingBuildsAlert": 0})
    await async_wait_for(
        lambda: issues.async_get_issue(DOMAIN, issue_id) is None, what="the issue cleared"
    )


async def test_esphome_release_event_and_release_summary(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A newer ESPHome release fires an event with its notes and shows in the update entities."""
    released = async_capture_events(hass, EVENT_ESPHOME_RELEASE)
    client = init_integration.runtime_data.client
    await client.request("PATCH", "/settings", json={"defaultEsphomeVersion": "2026.10.0"})
    answer = await client.request("POST", "/esphome/releases/check")
    assert answer["release"]["version"] == "2026.12.1"
    await async_wait_for(lambda: len(released) == 1, what="esphome_forge_esphome_release")
    assert released[0].data == {
        "config_entry_id": ENTRY_ID,
        "version": "2026.12.1",
        "release_notes_url": "https://esphome.io/changelog/2026.12.0.html",
        "fleet_version": "2026.10.0",
    }
    await hass.async_block_till_done()
    update = hass.states.get(node_entity(hass, "update", "kitchen", "update"))
    assert update.attributes["release_summary"].startswith(
        "ESPHome 2026.12.1 is available (Forge builds with 2026.10.0): "
        "https://esphome.io/changelog/2026.12.0.html. "
    )
    assert len(update.attributes["release_summary"]) <= 255

    # Asking again finds nothing new; moving the fleet to it clears the note.
    await client.request("POST", "/esphome/releases/check")
    await client.request("PATCH", "/settings", json={"defaultEsphomeVersion": "2026.12.1"})
    data = init_integration.runtime_data.coordinator.data
    await async_wait_for(lambda: data.esphome_release is None, what="the release cleared")
    await hass.async_block_till_done()
    update = hass.states.get(node_entity(hass, "update", "kitchen", "update"))
    assert "is available" not in (update.attributes["release_summary"] or "")
    assert len(released) == 1
