"""Real mDNS with python-zeroconf (as Home Assistant's zeroconf integration uses): a browse for the
discovery tests (what a running sidecar advertises, turned into the `ZeroconfServiceInfo` Home
Assistant would hand to our config flow), and a fake ESPHome device advertising `_esphomelib._tcp`
with ESPHome's TXT keys for the presence tests."""

from __future__ import annotations

import socket
import time

import ifaddr
from zeroconf import IPVersion, ServiceBrowser, ServiceInfo, ServiceStateChange, Zeroconf

from homeassistant.components.zeroconf.discovery import info_from_service
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo


def lan_ipv4_addresses() -> list[str]:
    """This machine's non-loopback IPv4 addresses (mDNS needs a multicast-capable interface)."""
    return [
        str(ip.ip)
        for adapter in ifaddr.get_adapters()
        for ip in adapter.ips
        if ip.is_IPv4 and not str(ip.ip).startswith("127.")
    ]


# Read at import (collection), before HA's test harness replaces ifaddr with a fake 10.10.10.10.
LAN_IPV4: list[str] = lan_ipv4_addresses()


def browse(service_type: str, instance_id: str, timeout: float = 15.0) -> ZeroconfServiceInfo:
    """Browse `service_type` until the service whose TXT `id` is `instance_id` resolves (blocking)."""
    # The LAN interfaces only: loopback may have no MULTICAST flag (joining the group fails there).
    zc = Zeroconf(interfaces=LAN_IPV4, ip_version=IPVersion.V4Only)
    names: list[str] = []

    def on_change(
        zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        if state_change is not ServiceStateChange.Removed:
            names.append(name)

    browser = ServiceBrowser(zc, service_type, handlers=[on_change])
    try:
        deadline = time.monotonic() + timeout
        seen: set[str] = set()
        while time.monotonic() < deadline:
            for name in [n for n in names if n not in seen]:
                info = zc.get_service_info(service_type, name, timeout=3000)
                if info is None:
                    continue
                seen.add(name)
                if info.decoded_properties.get("id") == instance_id:
                    result = info_from_service(info)  # type: ignore[arg-type]
                    if result is not None:
                        return result
            time.sleep(0.1)
        raise AssertionError(
            f"no {service_type} advertisement with id {instance_id} in {timeout} s"
        )
    finally:
        browser.cancel()
        zc.close()


ESPHOME_TYPE = "_esphomelib._tcp.local."


class FakeEsphomeDevice:
    """An ESPHome device as the link sees it: its `_esphomelib._tcp` advertisement (blocking calls)."""

    def __init__(self, name: str, mac: str, **txt: str) -> None:
        """`name` is the hostname; TXT keys as ESPHome's mdns component publishes them."""
        self.name = name
        self.txt = {"version": "2026.10.0", "mac": mac, "platform": "ESP32", "board": "esp32dev"}
        self.txt.update(txt)
        self._zc: Zeroconf | None = None
        self._info: ServiceInfo | None = None

    def _service(self) -> ServiceInfo:
        return ServiceInfo(
            ESPHOME_TYPE,
            f"{self.name}.{ESPHOME_TYPE}",
            addresses=[socket.inet_aton(LAN_IPV4[0])],
            port=6053,
            properties=self.txt,
            server=f"{self.name}.local.",
        )

    def start(self) -> None:
        """Boot: probe, then announce."""
        self._zc = Zeroconf(interfaces=LAN_IPV4, ip_version=IPVersion.V4Only)
        self._info = self._service()
        self._zc.register_service(self._info)

    def reboot(self, **txt: str) -> None:
        """New firmware: its new TXT record is announced."""
        self.txt.update(txt)
        assert self._zc is not None
        self._info = self._service()
        self._zc.update_service(self._info)

    def stop(self) -> None:
        """Goodbye (TTL 0), then off the link."""
        if self._zc is None:
            return
        if self._info is not None:
            self._zc.unregister_service(self._info)
        self._zc.close()
        self._zc = None
