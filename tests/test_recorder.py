"""Recorder: a real build through the real recorder writes only the history rows that matter."""

from __future__ import annotations

from collections import Counter
import json

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.esphome_forge.const import EVENT_JOB_FINISHED
from homeassistant.components.recorder import Recorder, get_instance
from homeassistant.components.recorder.db_schema import StateAttributes, States, StatesMeta
from homeassistant.components.recorder.util import session_scope
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util

from .conftest import async_wait_for

BUILD_STATUS = "sensor.office_build_status"
UPDATE = "update.office_firmware"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The recorder must be set up before `hass` (and so before the custom integrations)."""


def _recorded(hass: HomeAssistant, since: float) -> dict[str, list[dict]]:
    """Per entity, the attributes of every row the recorder wrote to `states` since a time."""
    with session_scope(hass=hass, read_only=True) as session:
        query = (
            session.query(StatesMeta.entity_id, StateAttributes.shared_attrs)
            .join(States, States.metadata_id == StatesMeta.metadata_id)
            .outerjoin(StateAttributes, States.attributes_id == StateAttributes.attributes_id)
            .filter(States.last_updated_ts >= since)
        )
        rows: dict[str, list[dict]] = {}
        for entity_id, attrs in query:
            rows.setdefault(entity_id, []).append(json.loads(attrs or "{}"))
        return rows


async def test_build_writes_few_history_rows(
    hass: HomeAssistant, recorder_mock: Recorder, init_integration: MockConfigEntry
) -> None:
    """A compile + upload whose worker reports progress many times: the progress-tracking
    entities stay well below the 20-25 rows per build they wrote before, and no recorded row
    carries a progress value."""
    await async_wait_recording_done(hass)
    since = dt_util.utcnow().timestamp()
    live: list[int | None] = []

    @callback
    def on_update(event: Event[EventStateChangedData]) -> None:
        if (new := event.data["new_state"]) is not None:
            live.append(new.attributes.get("update_percentage"))

    unsub = async_track_state_change_event(hass, [UPDATE], on_update)
    finished = async_capture_events(hass, EVENT_JOB_FINISHED)
    await hass.services.async_call("update", "install", {"entity_id": UPDATE}, blocking=True)
    await async_wait_for(lambda: bool(finished), what="office flashed")
    assert finished[0].data["result"] == "succeeded"
    await hass.async_block_till_done()
    unsub()
    await async_wait_recording_done(hass)
    rows = await get_instance(hass).async_add_executor_job(_recorded, hass, since)
    counts = Counter({entity_id: len(r) for entity_id, r in rows.items()})

    # The install's progress was shown live, in steps.
    shown = [p for p in live if p is not None]
    assert shown, live
    assert all(p % 10 == 0 for p in shown), shown
    # A compile_upload is two steps (a builder's build, then a flasher's flash): queued → running →
    # queued for a flasher → running → succeeded, with the phases of each step in between.
    assert counts[BUILD_STATUS] <= 10, counts
    # Per step: queued, at most eleven 10 % steps; then finished and the flash recorded (new installed
    # version). The stand-in reports 5 % steps (a real compile reports every percent).
    assert counts[UPDATE] <= 6 + len(shown) <= 28, f"{counts[UPDATE]} rows: {live}"
    # Neither progress nor phase reaches the database.
    for entity_id in (BUILD_STATUS, UPDATE):
        for attrs in rows[entity_id]:
            assert not {"progress", "phase", "update_percentage", "in_progress"} & set(attrs)
    # Entities a build does not concern write nothing.
    assert counts["sensor.kitchen_build_status"] == 0
    assert counts["update.kitchen_firmware"] == 0
