"""Worker enrolment in Home Assistant, against a real sidecar and a real worker process: the built-in
worker needs no click; a worker that joins with a pairing code is a repairs issue showing its key
fingerprint, and the issue's fix flow approves it; a sidecar open to plain HTTP is a warning issue."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
import subprocess

import aiohttp
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.esphome_forge.const import DOMAIN
from custom_components.esphome_forge.tls_pin import format_fingerprint
from custom_components.esphome_forge.worker_enrolment import pending_issue_id
from homeassistant.components.repairs import DOMAIN as REPAIRS_DOMAIN, repairs_flow_manager
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component

from .conftest import ADMIN_TOKEN, async_wait_for
from .sidecar import CLI, STANDIN, Sidecar, find_node
from .test_permissions import regular_token, regular_user  # noqa: F401


async def _admin(sidecar: Sidecar, method: str, path: str, body: object = None) -> object:
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method,
            f"http://127.0.0.1:{sidecar.port}/api/v1{path}",
            headers={"Authorization": f"Bearer {sidecar.token}"},
            json=body,
        ) as resp,
    ):
        assert resp.status < 300, await resp.text()
        return await resp.json()


@pytest.fixture
def joined_worker(tmp_path: Path) -> Generator[list[subprocess.Popen[bytes]]]:
    """Worker processes started by the test (stopped afterwards)."""
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for p in procs:
        p.terminate()
        p.wait(10)


async def test_joined_worker_is_a_repairs_issue_approved_from_its_fix_flow(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sidecar: Sidecar,
    tmp_path: Path,
    joined_worker: list[subprocess.Popen[bytes]],
) -> None:
    """The local worker is approved implicitly; a joined one waits, and the fix flow approves it."""
    coordinator = init_integration.runtime_data.coordinator
    [local] = coordinator.data.workers.values()
    assert local["local"] is True
    assert local["enrolment"] == "approved"  # zero clicks for the sidecar's own worker

    pairing = await _admin(sidecar, "POST", "/workers/pairing", {"host": "127.0.0.1"})
    assert isinstance(pairing, dict)
    joined_worker.append(
        subprocess.Popen(
            [
                find_node(),
                str(CLI),
                "worker",
                "join",
                pairing["link"],
                "--state-dir",
                str(tmp_path / "garage"),
                "--name",
                "garage",
                "--build-command",
                f"node {STANDIN}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )

    def garage() -> dict | None:
        return next((w for w in coordinator.data.workers.values() if w["name"] == "garage"), None)

    await async_wait_for(
        lambda: bool((w := garage()) and w.get("pendingKey")),
        what="the joined worker pending in HA",
    )
    waiting = garage()
    assert waiting is not None
    assert waiting["enrolment"] == "pending"
    assert waiting["online"] is False
    issue_id = pending_issue_id(init_integration.entry_id, waiting["id"])
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders["fingerprint"] == format_fingerprint(
        waiting["pendingKey"]["fingerprint"]
    )

    assert await async_setup_component(hass, REPAIRS_DOMAIN, {})
    flows = repairs_flow_manager(hass)
    assert flows is not None
    result = await flows.async_init(DOMAIN, data={"issue_id": issue_id})
    assert result["type"] is FlowResultType.FORM
    assert (
        result["description_placeholders"]["fingerprint"]
        == issue.translation_placeholders["fingerprint"]
    )
    result = await flows.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY

    await async_wait_for(
        lambda: (
            coordinator.data.workers[waiting["id"]]["online"]
            and coordinator.data.workers[waiting["id"]]["enrolment"] == "approved"
        ),
        what="the approved worker online",
    )
    await async_wait_for(
        lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None,
        what="the issue cleared",
    )


async def test_insecure_transport_is_a_warning(hass: HomeAssistant, tmp_path: Path) -> None:
    """A sidecar started with --insecure-transport on the network: a repairs warning."""
    proc = Sidecar(
        data_dir=tmp_path / "open-sidecar",
        token=ADMIN_TOKEN,
        host="0.0.0.0",
        extra_args=["--insecure-transport"],
    )
    proc.write_devices({})
    proc.start()
    try:
        entry = MockConfigEntry(
            domain=DOMAIN,
            data={"url": f"http://127.0.0.1:{proc.port}", "token": proc.token},
            unique_id=proc.instance_id,
        )
        entry.add_to_hass(hass)
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        issue = ir.async_get(hass).async_get_issue(DOMAIN, f"insecure_transport_{entry.entry_id}")
        assert issue is not None
        assert issue.severity is ir.IssueSeverity.WARNING
        await hass.config_entries.async_unload(entry.entry_id)
    finally:
        proc.stop()


async def test_card_approves_exactly_the_compared_key(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    *,
    regular_token: str,  # noqa: F811
    init_integration: MockConfigEntry,
    sidecar: Sidecar,
    tmp_path: Path,
    joined_worker: list[subprocess.Popen[bytes]],
) -> None:
    """The card's Approve: admins only, and only the fingerprint shown (another key is refused)."""
    coordinator = init_integration.runtime_data.coordinator
    pairing = await _admin(sidecar, "POST", "/workers/pairing", {"host": "127.0.0.1"})
    assert isinstance(pairing, dict)
    joined_worker.append(
        subprocess.Popen(
            [
                find_node(),
                str(CLI),
                "worker",
                "join",
                pairing["link"],
                "--state-dir",
                str(tmp_path / "shed"),
                "--name",
                "shed",
                "--build-command",
                f"node {STANDIN}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )

    def shed() -> dict | None:
        return next((w for w in coordinator.data.workers.values() if w["name"] == "shed"), None)

    await async_wait_for(lambda: bool((w := shed()) and w.get("pendingKey")), what="shed pending")
    waiting = shed()
    assert waiting is not None
    fingerprint = waiting["pendingKey"]["fingerprint"]

    guest = await hass_ws_client(hass, regular_token)
    await guest.send_json_auto_id(
        {
            "type": "esphome_forge/worker_approve",
            "worker_id": waiting["id"],
            "fingerprint": fingerprint,
        }
    )
    refused = await guest.receive_json()
    assert not refused["success"]
    assert refused["error"]["code"] == "unauthorized"

    admin = await hass_ws_client(hass)
    other = "0" * 64
    await admin.send_json_auto_id(
        {"type": "esphome_forge/worker_approve", "worker_id": waiting["id"], "fingerprint": other}
    )
    wrong = await admin.receive_json()
    assert not wrong["success"]
    assert coordinator.data.workers[waiting["id"]]["enrolment"] == "pending"

    await admin.send_json_auto_id(
        {
            "type": "esphome_forge/worker_approve",
            "worker_id": waiting["id"],
            "fingerprint": fingerprint,
        }
    )
    approved = await admin.receive_json()
    assert approved["success"], approved
    await async_wait_for(
        lambda: (
            coordinator.data.workers[waiting["id"]]["online"]
            and coordinator.data.workers[waiting["id"]]["enrolment"] == "approved"
        ),
        what="the approved worker online",
    )
