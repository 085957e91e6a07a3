"""The card's HA WebSocket commands (docs/ha-websocket-api.md)."""

from __future__ import annotations

import socket
from typing import Any

from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.esphome_forge.const import CONF_TOKEN, CONF_URL, DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .conftest import ENTRY_ID
from .sidecar import Sidecar


class Router:
    """Reads one WebSocket and hands out messages per request id, in order."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.buffered: dict[int, list[dict[str, Any]]] = {}
        self.last_id = 0

    async def send(self, payload: dict[str, Any]) -> int:
        self.last_id += 1
        await self.client.send_json({**payload, "id": self.last_id})
        return self.last_id

    async def next(self, msg_id: int) -> dict[str, Any]:
        while not self.buffered.get(msg_id):
            msg = await self.client.receive_json()
            self.buffered.setdefault(msg["id"], []).append(msg)
        return self.buffered[msg_id].pop(0)

    async def result(self, msg_id: int) -> dict[str, Any]:
        msg = await self.next(msg_id)
        assert msg["type"] == "result", msg
        return msg

    async def event(self, msg_id: int) -> dict[str, Any]:
        msg = await self.next(msg_id)
        assert msg["type"] == "event", msg
        return msg["event"]


async def _next_event(client: Any, msg_id: int) -> dict[str, Any]:
    msg = await client.receive_json()
    assert msg["id"] == msg_id, msg
    assert msg["type"] == "event", msg
    return msg["event"]


async def test_subscribe_snapshot_then_deltas(
    hass: HomeAssistant, init_integration: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """A snapshot in the sidecar's shape, then device/job/worker deltas of a compile."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "esphome_forge/subscribe"})
    result = await client.receive_json()
    assert result["success"], result
    sub_id = result["id"]
    snapshot = await _next_event(client, sub_id)
    assert snapshot["type"] == "snapshot"
    assert sorted(d["id"] for d in snapshot["devices"]) == [
        "garage",
        "kitchen",
        "office",
        "porch",
        "shed",
    ]
    # camelCase, exactly as the sidecar sends it.
    kitchen = next(d for d in snapshot["devices"] if d["id"] == "kitchen")
    assert kitchen["friendlyName"] == "Kitchen"
    assert kitchen["mac"] == "AA:BB:CC:DD:EE:01"
    assert snapshot["workers"][0]["name"] == "local"
    assert isinstance(snapshot["seq"], int)

    await client.send_json_auto_id(
        {"type": "esphome_forge/compile", "device_ids": ["porch"], "upload": False}
    )
    # Deltas may arrive before the command's own result.
    kinds: list[str] = []
    states: list[str] = []
    created: dict[str, Any] | None = None
    while created is None or "succeeded" not in states:
        msg = await client.receive_json()
        if msg["type"] == "result":
            assert msg["success"], msg
            created = msg["result"]
            continue
        assert msg["id"] == sub_id
        event = msg["event"]
        kinds.append(event["type"])
        assert event["seq"] > snapshot["seq"]
        if event["type"] == "job":
            states.append(event["job"]["state"])
    assert created["jobs"][0]["deviceId"] == "porch"
    assert created["jobs"][0]["coalesced"] is False
    assert created["skipped"] == []
    assert {"job", "device"} <= set(kinds)
    assert states[0] == "queued"
    assert "running" in states

    await client.send_json_auto_id({"type": "unsubscribe_events", "subscription": sub_id})
    msg = await client.receive_json()
    while msg["type"] != "result":  # deltas still in flight
        msg = await client.receive_json()
    assert msg["success"]


async def test_job_log_tail(
    hass: HomeAssistant, init_integration: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """Live log chunks without gaps or repeats, then log_end; two tails of one job agree."""
    ws = Router(await hass_ws_client(hass))
    created = await ws.result(
        await ws.send({"type": "esphome_forge/compile", "device_ids": ["office"], "upload": False})
    )
    job_id = created["result"]["jobs"][0]["jobId"]

    async def tail(offset: int) -> int:
        msg_id = await ws.send(
            {"type": "esphome_forge/job_log", "job_id": job_id, "offset": offset}
        )
        assert (await ws.result(msg_id))["success"]
        return msg_id

    first_id = await tail(0)
    second_id = await tail(0)
    texts: dict[int, str] = {first_id: "", second_id: ""}
    for sub in (first_id, second_id):
        while True:
            event = await ws.event(sub)
            if event["type"] == "log_end":
                assert event["state"] == "succeeded"
                break
            assert event["type"] == "log"
            assert event["jobId"] == job_id
            # Offsets continue exactly where the previous chunk ended.
            assert event["offset"] == len(texts[sub].encode())
            texts[sub] += event["chunk"]
    assert texts[first_id] == texts[second_id]
    assert "Successfully compiled program" in texts[first_id]

    stored = await init_integration.runtime_data.client.job_log(job_id)
    assert stored == texts[first_id]

    # A finished job: what is stored, then log_end at once.
    sub = await tail(10)
    event = await ws.event(sub)
    assert event["offset"] == 10
    assert event["chunk"] == stored.encode()[10:].decode()
    assert (await ws.event(sub)) == {"type": "log_end", "jobId": job_id, "state": "succeeded"}


async def test_upload_and_cancel(
    hass: HomeAssistant, init_integration: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """upload queues a flash of stored firmware; cancel answers with the sidecar's Job."""
    ws = Router(await hass_ws_client(hass))
    coordinator = init_integration.runtime_data.coordinator
    # Something to flash, then keep the only slot busy so the upload stays queued.
    created = await ws.result(
        await ws.send({"type": "esphome_forge/compile", "device_ids": ["kitchen"], "upload": False})
    )
    await coordinator.async_wait_job(created["result"]["jobs"][0]["jobId"], 30)
    await ws.result(
        await ws.send({"type": "esphome_forge/compile", "device_ids": ["office"], "upload": False})
    )
    result = await ws.result(
        await ws.send(
            {"type": "esphome_forge/upload", "device_ids": ["kitchen"], "entry_id": ENTRY_ID}
        )
    )
    assert result["success"], result
    job_id = result["result"]["jobs"][0]["jobId"]

    result = await ws.result(await ws.send({"type": "esphome_forge/cancel", "job_id": job_id}))
    assert result["success"], result
    assert result["result"]["id"] == job_id
    assert result["result"]["action"] == "upload"
    assert result["result"]["state"] == "cancelled"


async def test_errors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
) -> None:
    """not_found, invalid_format, unauthorized for non-admins, sidecar messages passed on."""
    client = await hass_ws_client(hass)

    await client.send_json_auto_id({"type": "esphome_forge/cancel", "job_id": 424242})
    msg = await client.receive_json()
    assert msg["error"]["code"] == "not_found"
    assert "424242" in msg["error"]["message"]

    await client.send_json_auto_id({"type": "esphome_forge/job_log", "job_id": 424242})
    msg = await client.receive_json()
    assert msg["error"]["code"] == "not_found"

    await client.send_json_auto_id({"type": "esphome_forge/compile", "device_ids": []})
    msg = await client.receive_json()
    assert msg["error"]["code"] == "invalid_format"

    await client.send_json_auto_id(
        {"type": "esphome_forge/compile", "device_ids": ["kitchen"], "entry_id": "nope"}
    )
    msg = await client.receive_json()
    assert msg["error"]["code"] == "not_found"

    await client.send_json_auto_id(
        {"type": "esphome_forge/compile", "device_ids": ["bad id!"], "upload": False}
    )
    msg = await client.receive_json()
    assert msg["error"]["code"] == "invalid_format"

    # A finished job cannot be cancelled: the sidecar's message reaches the card.
    await client.send_json_auto_id(
        {"type": "esphome_forge/compile", "device_ids": ["porch"], "upload": False}
    )
    job_id = (await client.receive_json())["result"]["jobs"][0]["jobId"]
    coordinator = init_integration.runtime_data.coordinator
    await coordinator.async_wait_job(job_id, 30)
    await client.send_json_auto_id({"type": "esphome_forge/cancel", "job_id": job_id})
    msg = await client.receive_json()
    assert msg["error"]["code"] == "home_assistant_error"
    assert "already finished" in msg["error"]["message"]

    # Non-admin users may watch but not act.
    reader = await hass_ws_client(hass, hass_read_only_access_token)
    for command in (
        {"type": "esphome_forge/compile", "device_ids": ["kitchen"]},
        {"type": "esphome_forge/upload", "device_ids": ["kitchen"]},
        {"type": "esphome_forge/cancel", "job_id": job_id},
    ):
        await reader.send_json_auto_id(command)
        msg = await reader.receive_json()
        assert msg["error"]["code"] == "unauthorized", command
    await reader.send_json_auto_id({"type": "esphome_forge/subscribe"})
    assert (await reader.receive_json())["success"]
    assert (await reader.receive_json())["event"]["type"] == "snapshot"


async def test_subscribe_says_when_the_sidecar_is_unreachable(
    hass: HomeAssistant,
    sidecar: Sidecar,
    init_integration: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """The card hears `unreachable` (since, why) when HA loses the sidecar, then a fresh snapshot."""
    client = await hass_ws_client(hass)
    router = Router(client)
    sub = await router.send({"type": "esphome_forge/subscribe"})
    assert (await router.result(sub))["success"]
    assert (await router.event(sub))["type"] == "snapshot"

    await hass.async_add_executor_job(sidecar.kill)
    lost = await router.event(sub)
    while lost["type"] != "unreachable":  # deltas of the dying sidecar may come first
        lost = await router.event(sub)
    assert lost["error"]
    since = dt_util.parse_datetime(lost["since"])
    assert since is not None
    assert abs((dt_util.utcnow() - since).total_seconds()) < 60

    # A card opened meanwhile gets what HA last knew, and is told it is stale.
    late = await router.send({"type": "esphome_forge/subscribe"})
    assert (await router.result(late))["success"]
    assert (await router.event(late))["type"] == "snapshot"
    assert await router.event(late) == lost

    await hass.async_add_executor_job(sidecar.restart)
    back = await router.event(sub)
    while back["type"] != "snapshot":
        back = await router.event(sub)
    assert sorted(d["id"] for d in back["devices"]) == [
        "garage",
        "kitchen",
        "office",
        "porch",
        "shed",
    ]


async def test_subscribe_while_the_entry_waits_for_its_sidecar(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    """Set up but not loaded (sidecar unreachable at startup): not_found that says why."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    entry = MockConfigEntry(
        domain=DOMAIN, data={CONF_URL: f"http://127.0.0.1:{port}", CONF_TOKEN: "t"}
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY

    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "esphome_forge/subscribe"})
    msg = await client.receive_json()
    assert msg["error"]["code"] == "not_found"
    assert "not connected to its sidecar yet" in msg["error"]["message"]
