"""The Forge add-on's real entry point (addon/run.sh → `esphome-forge ha-addon`) outside a container.

A fake Supervisor (aiohttp, on loopback) answers the add-on's info and records the discovery
message the add-on sends, so the integration's hassio step gets exactly what a Supervisor would
forward from this add-on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import subprocess
from typing import Any

from aiohttp import web

from .flows import free_port
from .sidecar import REPO, find_node

RUN_SH = REPO / "addon" / "run.sh"
CLI = REPO / "sidecar" / "dist" / "cli.js"
SUPERVISOR_TOKEN = "supervisor-token-for-ha-tests"


@dataclass
class FakeSupervisor:
    """Just enough of http://supervisor for an add-on: its own info and discovery."""

    ingress_port: int = field(default_factory=free_port)
    discoveries: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen on a loopback port."""

        def envelope(data: Any, status: int = 200) -> web.Response:
            return web.json_response({"result": "ok", "data": data}, status=status)

        async def info(request: web.Request) -> web.Response:
            if request.headers.get("Authorization") != f"Bearer {SUPERVISOR_TOKEN}":
                return web.json_response({"result": "error", "message": "Unauthorized"}, status=401)
            return envelope(
                {
                    "slug": "local_esphome_forge",
                    "version": "0.1.0",
                    "hostname": "local-esphome-forge",
                    "ip_address": "127.0.0.1",
                    "ingress_port": self.ingress_port,
                    "ingress_entry": "/api/hassio_ingress/abcdef0123456789",
                }
            )

        async def discovery(request: web.Request) -> web.Response:
            body = await request.json()
            self.discoveries.append({**body, "uuid": f"{len(self.discoveries) + 1:032x}"})
            return envelope({"uuid": self.discoveries[-1]["uuid"]})

        app = web.Application()
        app.router.add_get("/addons/self/info", info)
        app.router.add_post("/discovery", discovery)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        """Close the server."""
        if self._runner:
            await self._runner.cleanup()


def start_addon(
    root: Path, supervisor: FakeSupervisor, options: dict[str, Any]
) -> subprocess.Popen[bytes]:
    """addon/run.sh with /data, HA's config and the Supervisor pointed at `root` and the fake."""
    for sub in ("data", "addon_config", "homeassistant/esphome", "bin"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "data" / "options.json").write_text(json.dumps(options))
    shim = root / "bin" / "esphome-forge"
    shim.write_text(f'#!/bin/sh\nexec "{find_node()}" "{CLI}" "$@"\n')
    shim.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{root / 'bin'}:{os.environ['PATH']}",
        "SUPERVISOR_TOKEN": SUPERVISOR_TOKEN,
        "FORGE_SUPERVISOR_URL": supervisor.url,
        "FORGE_ADDON_DATA": str(root / "data"),
        "FORGE_ADDON_CONFIG": str(root / "addon_config"),
        "FORGE_ADDON_ESPHOME_DIR": str(root / "homeassistant" / "esphome"),
        "FORGE_ADDON_API_PORT": "0",
        "FORGE_INGRESS_SOURCE": "127.0.0.2",
        "FORGE_ZEROCONF": "off",
        "FORGE_ESPHOME_DEFAULT_PROBE": "off",
    }
    log = (root / "addon.log").open("wb")
    return subprocess.Popen([str(RUN_SH)], env=env, stdout=log, stderr=subprocess.STDOUT)
