"""Admin-only actions: a regular (non-admin) HA user cannot change firmware, trust or workers.

A regular user is what HA's "Users" page creates without "Administrator": member of the
`system-users` group, allowed to control every entity. Calls go through HA's service layer with
the user's context, and once through HA's WebSocket API with the user's own token, as the
frontend sends them.
"""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import (
    CLIENT_ID,
    MockConfigEntry,
    MockUser,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator, WebSocketGenerator

from custom_components.esphome_forge.const import DOMAIN, EVENT_JOB_FINISHED
from custom_components.esphome_forge.permissions import AdminRequired
from homeassistant.auth.const import GROUP_ID_USER
from homeassistant.auth.models import Credentials
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import Unauthorized
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component

from .conftest import ENTRY_ID, async_wait_for


@pytest.fixture
async def regular_user(hass: HomeAssistant, local_auth: Any) -> MockUser:
    """A Home Assistant user who is not an administrator."""
    group = await hass.auth.async_get_group(GROUP_ID_USER)
    return MockUser(name="Regular", groups=[group]).add_to_hass(hass)


@pytest.fixture
async def regular_token(hass: HomeAssistant, regular_user: MockUser) -> str:
    """An access token of the regular user, as the frontend holds one."""
    credential = Credentials(
        id="mock-regular-credential-id",
        auth_provider_type="homeassistant",
        auth_provider_id=None,
        data={"username": "regular"},
        is_new=False,
    )
    regular_user.credentials.append(credential)
    refresh = await hass.auth.async_create_refresh_token(
        regular_user, CLIENT_ID, credential=credential
    )
    return hass.auth.async_create_access_token(refresh)


def _device(hass: HomeAssistant, node: str) -> str:
    ent_reg = er.async_get(hass)
    entity_id = ent_reg.async_get_entity_id("update", DOMAIN, f"{ENTRY_ID}:device:{node}:update")
    return ent_reg.async_get(entity_id).device_id


async def _refused(
    hass: HomeAssistant, user: MockUser, domain: str, service: str, data: dict[str, Any]
) -> AdminRequired:
    with pytest.raises(AdminRequired) as err:
        await hass.services.async_call(
            domain,
            service,
            data,
            blocking=True,
            context=Context(user_id=user.id),
            return_response=domain == DOMAIN,
        )
    assert isinstance(err.value, Unauthorized)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "admin_required"
    assert str(err.value).startswith("Only Home Assistant administrators can use ")
    return err.value


async def test_firmware_and_trust_services_are_admin_only(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    regular_user: MockUser,
    hass_admin_user: MockUser,
) -> None:
    """compile, cancel and revoke: refused for a regular user (nothing reaches the sidecar),
    done for an admin and for HA itself (automations)."""
    jobs = init_integration.runtime_data.coordinator.data.jobs
    porch = {"device_id": _device(hass, "porch")}
    err = await _refused(hass, regular_user, DOMAIN, "compile", porch)
    assert err.translation_placeholders == {"action": "esphome_forge.compile"}
    assert "esphome_forge.compile: it changes device firmware" in str(err)
    await _refused(hass, regular_user, DOMAIN, "compile", {"all": True, "upload": False})
    await _refused(hass, regular_user, DOMAIN, "cancel", porch)
    await _refused(hass, regular_user, DOMAIN, "revoke", {"signer": "k", "reason": "r"})
    assert not jobs

    admin = Context(user_id=hass_admin_user.id)
    queued = await hass.services.async_call(
        DOMAIN,
        "compile",
        {"tag": ["office"], "upload": False},
        blocking=True,
        context=admin,
        return_response=True,
    )
    # The regular user cannot cancel the admin's job either.
    await _refused(hass, regular_user, DOMAIN, "cancel", {"job_id": queued["job_ids"]})
    cancelled = await hass.services.async_call(
        DOMAIN, "cancel", {"job_id": queued["job_ids"]}, blocking=True, return_response=True
    )  # no user: HA itself, as an automation calls it
    assert [c["job_id"] for c in cancelled["cancelled"]] == queued["job_ids"]
    revoked = await hass.services.async_call(
        DOMAIN,
        "revoke",
        {"signer": "never-enrolled-key", "reason": "test"},
        blocking=True,
        context=admin,
        return_response=True,
    )
    assert revoked["revoked"] is True


async def test_reading_services_stay_open(
    hass: HomeAssistant, init_integration: MockConfigEntry, regular_user: MockUser
) -> None:
    """validate and verify_firmware change nothing on a device: every user may call them."""
    user = Context(user_id=regular_user.id)
    porch = {"device_id": _device(hass, "porch")}
    verdict = await hass.services.async_call(
        DOMAIN, "verify_firmware", porch, blocking=True, context=user, return_response=True
    )
    assert verdict["state"] == "not_checked"
    result = await hass.services.async_call(
        DOMAIN, "validate", porch, blocking=True, context=user, return_response=True
    )
    assert result["valid"] is True


async def test_entity_actions_are_admin_only(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    regular_user: MockUser,
    hass_admin_user: MockUser,
) -> None:
    """Install, the compile and clean-cache buttons and the build slots: admins only."""
    slots = "number.forge_for_esphome_local_worker_build_slots"
    refused = [
        ("update", "install", {"entity_id": "update.porch_firmware"}),
        ("button", "press", {"entity_id": "button.porch_compile"}),
        (
            "button",
            "press",
            {"entity_id": "button.forge_for_esphome_local_worker_clean_build_cache"},
        ),
        ("number", "set_value", {"entity_id": slots, "value": 3}),
    ]
    for domain, service, data in refused:
        err = await _refused(hass, regular_user, domain, service, data)
        assert err.translation_placeholders == {
            "action": f"{domain}.{service} ({data['entity_id']})"
        }
    assert not init_integration.runtime_data.coordinator.data.jobs
    assert hass.states.get(slots).state == "1"

    admin = Context(user_id=hass_admin_user.id)
    await hass.services.async_call(
        "number", "set_value", {"entity_id": slots, "value": 2}, blocking=True, context=admin
    )
    assert hass.states.get(slots).state == "2"
    finished = async_capture_events(hass, EVENT_JOB_FINISHED)
    await hass.services.async_call(
        "update", "install", {"entity_id": "update.porch_firmware"}, blocking=True, context=admin
    )
    await async_wait_for(lambda: bool(finished), what="the admin's install")
    assert finished[0].data["result"] == "succeeded"


async def test_refusal_reaches_the_frontend_translated(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    regular_token: str,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Through HA's WebSocket API with the regular user's own token, as the frontend calls."""
    client = await hass_ws_client(hass, regular_token)
    await client.send_json_auto_id(
        {
            "type": "call_service",
            "domain": DOMAIN,
            "service": "compile",
            "service_data": {"all": True},
            "return_response": True,
        }
    )
    msg = await client.receive_json()
    assert not msg["success"]
    error = msg["error"]
    assert error["translation_domain"] == DOMAIN
    assert error["translation_key"] == "admin_required"
    assert error["translation_placeholders"] == {"action": "esphome_forge.compile"}
    assert error["message"].startswith("Only Home Assistant administrators can use")
    assert not init_integration.runtime_data.coordinator.data.jobs


async def test_refusal_over_http_is_401(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    regular_token: str,
    hass_client: ClientSessionGenerator,
) -> None:
    """HA's REST API answers a regular user's call with 401 Unauthorized."""
    assert await async_setup_component(hass, "api", {})
    client = await hass_client(regular_token)
    resp = await client.post(f"/api/services/{DOMAIN}/revoke", json={"signer": "k", "reason": "r"})
    assert resp.status == 401
    resp = await client.post(
        "/api/services/update/install", json={"entity_id": "update.porch_firmware"}
    )
    assert resp.status == 401
    assert not init_integration.runtime_data.coordinator.data.jobs
