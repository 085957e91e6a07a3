"""The config workspace through Home Assistant: the card's `esphome_forge/config_*` WebSocket
commands and the `esphome_forge.restore_config` service, against a real sidecar and the real git.

Every change is a commit by the HA user who made it; reading is open to every user, writing only to
administrators; secrets.yaml reaches the card only when an administrator asks for it explicitly.
Build status attributes carry the commit a build was made from, and a failing remote push is a
repairs issue.
"""

from __future__ import annotations

from pathlib import Path
import subprocess
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.esphome_forge.const import DOMAIN
from custom_components.esphome_forge.permissions import AdminRequired
from custom_components.esphome_forge.workspace_issue import issue_id
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .conftest import ENTRY_ID, async_wait_for, node_entity
from .sidecar import Sidecar
from .test_permissions import regular_token, regular_user  # noqa: F401


def _git_log(config: Path, path: str | None = None) -> list[dict[str, str]]:
    fmt = "%H%x1f%an%x1f%s%x1f%(trailers:key=Forge-Source,valueonly)%x1e"
    args = ["git", "log", f"--format={fmt}", *(["--follow", "--", path] if path else [])]
    out = subprocess.run(args, cwd=config, capture_output=True, text=True, check=True).stdout
    rows = [r.strip().split("\x1f") for r in out.split("\x1e") if r.strip()]
    return [{"sha": r[0], "author": r[1], "subject": r[2], "source": r[3].strip()} for r in rows]


async def _ws(client: Any, payload: dict[str, Any]) -> dict[str, Any]:
    await client.send_json_auto_id(payload)
    return await client.receive_json()


@pytest.fixture
def config(sidecar: Sidecar) -> Path:
    """The sidecar's config folder (a git repository)."""
    return sidecar.data_dir / "config"


async def test_editor_commands_commit_as_the_ha_user(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    hass_admin_user: MockUser,
    config: Path,
) -> None:
    """Read, save (a commit by the admin, source card), a stale save's conflict, history, diff, restore."""
    client = await hass_ws_client(hass)
    read = await _ws(client, {"type": "esphome_forge/config_read", "device_id": "porch"})
    assert read["success"], read
    file = read["result"]
    assert file["path"] == "porch.yaml"
    assert file["content"] == (config / "porch.yaml").read_text()

    edited = file["content"] + "logger:\n"
    saved = await _ws(
        client,
        {
            "type": "esphome_forge/config_save",
            "device_id": "porch",
            "content": edited,
            "sha256": file["sha256"],
        },
    )
    assert saved["success"], saved
    commit = saved["result"]["saved"]["commit"]
    assert (config / "porch.yaml").read_text() == edited
    last = _git_log(config)[0]
    assert last == {
        "sha": commit,
        "author": hass_admin_user.name,
        "subject": "Edit porch.yaml",
        "source": "card",
    }
    assert saved["result"]["saved"]["validation"][0]["deviceId"] == "porch"

    stale = await _ws(
        client,
        {
            "type": "esphome_forge/config_save",
            "device_id": "porch",
            "content": file["content"] + "api:\n",
            "sha256": file["sha256"],
        },
    )
    assert stale["success"], stale
    conflict = stale["result"]["conflict"]
    assert "+api:" in conflict["diff"]
    assert "-logger:" in conflict["diff"]
    assert (config / "porch.yaml").read_text() == edited

    history = await _ws(client, {"type": "esphome_forge/config_history", "device_id": "porch"})
    entries = history["result"]["entries"]
    assert [e["subject"] for e in entries[:2]] == ["Edit porch.yaml", entries[1]["subject"]]
    assert entries[0]["source"] == "card"
    first = entries[-1]["commit"]
    diff = await _ws(
        client, {"type": "esphome_forge/config_diff", "device_id": "porch", "from": first}
    )
    assert "+logger:" in diff["result"]["diff"]

    restored = await _ws(
        client, {"type": "esphome_forge/config_restore", "device_id": "porch", "commit": first}
    )
    assert restored["success"], restored
    assert (config / "porch.yaml").read_text() == file["content"]
    assert _git_log(config)[0]["subject"] == f"Restore porch.yaml to {first[:7]}"


async def test_new_device_from_a_template(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    config: Path,
) -> None:
    """Templates (key names only) and a new device committed by the admin."""
    client = await hass_ws_client(hass)
    templates = await _ws(client, {"type": "esphome_forge/config_templates"})
    assert [t["id"] for t in templates["result"]["templates"]] == [
        "esp32",
        "esp8266",
        "rp2040",
        "bk72xx",
    ]
    created = await _ws(
        client,
        {
            "type": "esphome_forge/device_create",
            "name": "attic",
            "template": "rp2040",
            "friendly_name": "Attic",
        },
    )
    assert created["success"], created
    assert (config / "attic.yaml").read_text().startswith("esphome:\n  name: attic\n")
    assert _git_log(config)[0]["subject"] == "Create device attic (RP2040 (Pico W))"
    await async_wait_for(
        lambda: "attic" in init_integration.runtime_data.coordinator.data.devices,
        what="the new device in HA",
    )


async def test_regular_users_read_but_cannot_write_or_see_secrets(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    regular_token: str,  # noqa: F811
    config: Path,
) -> None:
    """Every config command is admin-only (a YAML can hold keys inline); secrets.yaml needs an admin asking."""
    (config / "secrets.yaml").write_text('wifi_password: "hunter2"\n')
    admin = await hass_ws_client(hass)
    read = await _ws(admin, {"type": "esphome_forge/config_read", "device_id": "kitchen"})
    assert read["success"], read
    client = await hass_ws_client(hass, regular_token)
    before = _git_log(config)
    for payload in (
        {"type": "esphome_forge/config_read", "device_id": "kitchen"},
        {
            "type": "esphome_forge/config_read",
            "device_id": "kitchen",
            "path": "secrets.yaml",
            "reveal": True,
        },
        {"type": "esphome_forge/config_history", "device_id": "kitchen"},
        {"type": "esphome_forge/config_templates"},
        {
            "type": "esphome_forge/config_save",
            "device_id": "kitchen",
            "content": "esphome:\n",
            "sha256": read["result"]["sha256"],
        },
        {
            "type": "esphome_forge/config_restore",
            "device_id": "kitchen",
            "commit": before[0]["sha"],
        },
        {"type": "esphome_forge/device_create", "name": "evil", "template": "esp32"},
    ):
        msg = await _ws(client, payload)
        assert not msg["success"], msg
        assert msg["error"]["code"] == "unauthorized"
        assert "hunter2" not in str(msg)
    assert _git_log(config) == before

    admin = await hass_ws_client(hass)
    hidden = await _ws(
        admin,
        {"type": "esphome_forge/config_read", "device_id": "kitchen", "path": "secrets.yaml"},
    )
    assert not hidden["success"]
    shown = await _ws(
        admin,
        {
            "type": "esphome_forge/config_read",
            "device_id": "kitchen",
            "path": "secrets.yaml",
            "reveal": True,
        },
    )
    assert shown["success"], shown
    assert "hunter2" in shown["result"]["content"]


async def test_restore_config_service_is_admin_only(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_admin_user: MockUser,
    regular_user: MockUser,  # noqa: F811
    config: Path,
) -> None:
    """`esphome_forge.restore_config`: a new commit by the calling admin (source ha); refused otherwise."""
    original = (config / "kitchen.yaml").read_text()
    (config / "kitchen.yaml").write_text(original + "# changed outside\n")
    await async_wait_for(
        lambda: _git_log(config)[0]["subject"] == "External change: kitchen.yaml",
        what="the external change's commit",
    )
    first = _git_log(config)[-1]["sha"]
    target = {"entity_id": node_entity(hass, "update", "kitchen", "update"), "commit": first[:8]}
    with pytest.raises(AdminRequired):
        await hass.services.async_call(
            DOMAIN,
            "restore_config",
            target,
            blocking=True,
            context=Context(user_id=regular_user.id),
            return_response=True,
        )
    assert (config / "kitchen.yaml").read_text().endswith("# changed outside\n")
    result = await hass.services.async_call(
        DOMAIN,
        "restore_config",
        target,
        blocking=True,
        context=Context(user_id=hass_admin_user.id),
        return_response=True,
    )
    assert result["device"] == "kitchen"
    assert result["paths"] == ["kitchen.yaml"]
    assert (config / "kitchen.yaml").read_text() == original
    last = _git_log(config)[0]
    assert last["sha"] == result["commit"]
    assert last["author"] == hass_admin_user.name
    assert last["source"] == "ha"


async def test_build_status_carries_the_commit(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_admin_user: MockUser,
    config: Path,
) -> None:
    """The build status attributes name the commit a build was made from and the changes since."""
    head = _git_log(config)[0]["sha"]
    await hass.services.async_call(
        DOMAIN,
        "compile",
        {"entity_id": node_entity(hass, "update", "porch", "update"), "upload": False},
        blocking=True,
        context=Context(user_id=hass_admin_user.id),
        return_response=True,
    )
    sensor = node_entity(hass, "sensor", "porch", "build_status")
    await async_wait_for(
        lambda: hass.states.get(sensor).attributes.get("built_from_commit") == head,
        what="the build's commit on the sensor",
    )
    attrs = hass.states.get(sensor).attributes
    assert attrs["commit"] == head
    assert attrs["changes_since_build"] == 0


async def test_failing_remote_push_is_a_repairs_issue(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sidecar: Sidecar,
    tmp_path: Path,
) -> None:
    """A remote that refuses pushes raises an issue; it clears once the remote is removed."""
    client = init_integration.runtime_data.client
    missing = tmp_path / "nowhere.git"
    await client.request("PUT", "/workspace/remote", json={"url": f"file://{missing}"})
    registry = ir.async_get(hass)
    await async_wait_for(
        lambda: registry.async_get_issue(DOMAIN, issue_id(ENTRY_ID)) is not None,
        what="the push issue",
    )
    issue = registry.async_get_issue(DOMAIN, issue_id(ENTRY_ID))
    assert issue.translation_placeholders["remote"] == f"file://{missing}"
    assert issue.translation_placeholders["failures"] == "1"
    await client.request("DELETE", "/workspace/remote")
    await async_wait_for(
        lambda: registry.async_get_issue(DOMAIN, issue_id(ENTRY_ID)) is None,
        what="the push issue to clear",
    )
