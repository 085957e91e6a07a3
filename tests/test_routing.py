"""Blocked jobs in HA (issue 18): a job no online worker can take shows as `blocked` with the
sidecar's reason on the node's build status and on the queue sensor, and runs once the routing rule
that blocked it is edited through the card's admin command."""

from __future__ import annotations

from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.esphome_forge.const import DOMAIN, EVENT_JOB_FINISHED
from homeassistant.core import HomeAssistant

from .conftest import async_wait_for

STATUS = "sensor.porch_build_status"
QUEUE = "sensor.forge_for_esphome_queue_depth"
RULE = {"name": "esp32 builds on x86", "match": {"platforms": ["esp32"]}, "workerTags": ["x86"]}


async def test_blocked_job_shows_its_reason_and_runs_once_the_rule_changes(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    init_integration: MockConfigEntry,
) -> None:
    """The rule needs a tag the local worker lacks: blocked with the rule's name, then released."""
    ws = await hass_ws_client(hass)
    await ws.send_json_auto_id({"type": f"{DOMAIN}/routing_rules/set", "rules": [RULE]})
    reply = await ws.receive_json()
    assert reply["success"], reply
    assert reply["result"] == [RULE]

    finished = async_capture_events(hass, EVENT_JOB_FINISHED)
    await hass.services.async_call(
        DOMAIN, "compile", {"tag": ["outdoor"], "upload": False}, blocking=True
    )
    await async_wait_for(lambda: hass.states.get(STATUS).state == "blocked", what="blocked")
    reason = hass.states.get(STATUS).attributes["blocked_reason"]
    assert reason.startswith("needs a worker with tag x86 (rule 'esp32 builds on x86'); online")
    queue = hass.states.get(QUEUE)
    assert queue.attributes["blocked"] == 1
    assert queue.attributes["blocked_jobs"][0]["device"] == "porch"
    assert queue.attributes["blocked_jobs"][0]["reason"] == reason

    # A bad rule is refused with the sidecar's reason and changes nothing.
    await ws.send_json_auto_id(
        {"type": f"{DOMAIN}/routing_rules/set", "rules": [{**RULE, "workerTags": []}]}
    )
    reply = await ws.receive_json()
    assert not reply["success"]
    assert "workerTags" in reply["error"]["message"]
    await ws.send_json_auto_id({"type": f"{DOMAIN}/routing_rules"})
    assert (await ws.receive_json())["result"] == [RULE]

    await ws.send_json_auto_id({"type": f"{DOMAIN}/routing_rules/set", "rules": []})
    assert (await ws.receive_json())["success"]
    await async_wait_for(lambda: len(finished) == 1, what="porch built")
    assert finished[0].data["result"] == "succeeded"
    await async_wait_for(lambda: hass.states.get(STATUS).state == "succeeded", what="succeeded")
    attrs = hass.states.get(STATUS).attributes
    assert attrs["blocked_reason"] is None
    assert attrs["dispatch_reason"].startswith("least loaded")
    assert hass.states.get(QUEUE).attributes["blocked"] == 0
