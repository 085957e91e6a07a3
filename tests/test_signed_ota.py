"""ESPHome signed OTA in Home Assistant, against a real sidecar and worker (stand-in ESPHome building
real ESP32 app images): after Forge flashes the device an image signed with its key, the firmware
trust sensor reads `device_enforced` and its attributes carry the device side of signed OTA."""

from __future__ import annotations

import asyncio

from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.esphome_forge.const import DOMAIN, EVENT_JOB_FINISHED
from homeassistant.core import HomeAssistant

from .conftest import async_wait_for
from .sidecar import Sidecar

SIGNED_PORCH = """\
# esphome-forge:
#   tags: [outdoor]
# standin: esp-app-image=1 firmware-bytes=40000
esphome:
  name: porch
  friendly_name: Porch
  project:
    name: "acme.porch"
    version: "3.1.0"
esp32:
  board: esp32-c3-devkitm-1
  framework:
    type: esp-idf
    advanced:
      signed_ota_verification:
        signing_scheme: rsa3072
        verification_keys:
          - "{digest}"
      enable_ota_downgrade_protection: true
wifi:
  ssid: forge-test
  password: forge-test-pw
"""


async def test_device_enforced_after_a_signed_flash(
    hass: HomeAssistant, init_integration: MockConfigEntry, sidecar: Sidecar
) -> None:
    """compile_upload of a device that enforces signed OTA with Forge's key: `device_enforced`."""
    client = init_integration.runtime_data.client
    key = await client.request("POST", "/trust/ota-keys", json={"name": "ha"})
    sidecar.write_devices({"porch.yaml": SIGNED_PORCH.replace("{digest}", key["digest"])})

    async def config_read() -> bool:
        device = await client.request("GET", "/devices/porch")
        return bool((device.get("signedOta") or {}).get("verificationKeys") == [key["digest"]])

    for _ in range(600):  # the inventory re-reads the file (up to 30 s on a busy machine)
        if await config_read():
            break
        await hass.async_block_till_done()
        await asyncio.sleep(0.05)
    assert await config_read()

    finished = async_capture_events(hass, EVENT_JOB_FINISHED)
    await hass.services.async_call(
        DOMAIN, "compile", {"tag": ["outdoor"]}, blocking=True, return_response=True
    )
    await async_wait_for(lambda: len(finished) == 1, what="porch flashed")
    assert finished[0].data["result"] == "succeeded", finished[0].data
    trust = "sensor.porch_firmware_trust"
    await async_wait_for(
        lambda: hass.states.get(trust).state == "device_enforced", what="device_enforced"
    )
    attrs = hass.states.get(trust).attributes
    assert attrs["ota_signed"] is True
    assert attrs["ota_forge_signs"] is True
    assert attrs["ota_trusted_keys"] == [key["digest"]]
    assert attrs["ota_downgrade_protection"] is True
    assert attrs["ota_last_project_version"] == "3.1.0"
    hub = hass.states.get("sensor.forge_for_esphome_devices_not_verified")
    assert "porch" not in hub.attributes["devices"]
