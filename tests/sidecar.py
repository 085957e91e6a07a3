"""A real Forge sidecar process for the integration tests.

`node sidecar/dist/cli.js serve` on 127.0.0.1 with its built-in local worker running the ESPHome
stand-in (`sidecar/test-support/standin-esphome.mjs`) — no mocked sidecar. The fixture writes its own
device YAMLs (and starts with `--no-seed`) so entity snapshots do not depend on the example set.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import re
import shutil
import signal
import subprocess
import time

REPO = Path(__file__).resolve().parent.parent
CLI = REPO / "sidecar" / "dist" / "cli.js"
STANDIN = REPO / "sidecar" / "test-support" / "standin-esphome.mjs"
START_TIMEOUT = 30.0

# Signs a revocation list with the sidecar's own revocation key, as an offline signer holding that
# key would (argv: data folder, list JSON; stdout: the Sigstore bundle `trust import` takes).
SIGN_REVOCATION_LIST = """
const [dataDir, listJson] = process.argv.slice(1);
const dist = new URL("sidecar/dist/trust/", `file://${process.cwd()}/`);
const { readPrivateKeyFile } = await import(new URL("keys/keys.js", dist));
const { ownKeyPath } = await import(new URL("keys/own-keys.js", dist));
const { REVOCATION_PAYLOAD_TYPE } = await import(new URL("revocation/revocation.js", dist));
const { signDsse } = await import(new URL("keys/sign.js", dist));
const key = readPrivateKeyFile(ownKeyPath(`${dataDir}/trust/keys`, "revocation"));
const bundle = await signDsse(Buffer.from(listJson), REVOCATION_PAYLOAD_TYPE, key);
process.stdout.write(JSON.stringify(bundle));
"""

LISTEN_RE = re.compile(r"listening on (https?://\S+)")
FINGERPRINT_RE = re.compile(r"TLS key fingerprint \(sha256\): ([0-9a-f]{64})")
TOKEN_RE = re.compile(r"Admin token: (\S+)")

# The fleet every test starts with. Stand-in knobs are YAML comments (`# standin: …`).
DEVICES: dict[str, str] = {
    "kitchen.yaml": """\
# esphome-forge:
#   tags: [kitchen, lights]
#   mac: "AA:BB:CC:DD:EE:01"
esphome:
  name: kitchen
  friendly_name: Kitchen
esp32:
  board: esp32dev
wifi:
  ssid: forge-test
  password: forge-test-pw
logger:
""",
    "office.yaml": """\
# A slow build, so tests can watch a running job.
# standin: sleep-ms=2500
# esphome-forge:
#   tags: [office]
esphome:
  name: office
  friendly_name: Office
esp8266:
  board: d1_mini
wifi:
  ssid: forge-test
  password: forge-test-pw
""",
    "porch.yaml": """\
# esphome-forge:
#   tags: [outdoor]
esphome:
  name: porch
  friendly_name: Porch
esp32:
  board: esp32-c3-devkitm-1
wifi:
  ssid: forge-test
  password: forge-test-pw
""",
    "garage.yaml": """\
# ESPHome rejects this config (stand-in knob): validation fails.
# standin: fail-at=validate
esphome:
  name: garage
  friendly_name: Garage
esp8266:
  board: d1_mini
sensor:
  - platform: template
    name: Door
""",
    "shed.yaml": """\
# The compiler fails on this one (stand-in knob).
# standin: fail-at=compile
esphome:
  name: shed
  friendly_name: Shed
rp2040:
  board: rpipicow
""",
}


def find_node() -> str:
    """Node ≥ 22: PATH (scripts/toolchain.sh puts it there), else the provisioned copy."""
    cache = Path(os.environ.get("FORGE_CACHE", Path.home() / ".cache" / "esphome-forge"))
    candidates = [shutil.which("node"), *sorted(map(str, cache.glob("node-v22*/bin/node")))]
    for node in candidates:
        if not node:
            continue
        out = subprocess.run(
            [node, "-p", "process.versions.node.split('.')[0]"],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode == 0 and int(out.stdout.strip() or 0) >= 22:
            return node
    raise RuntimeError("Node 22 is needed for the sidecar: source scripts/toolchain.sh first")


@dataclass
class Sidecar:
    """One sidecar process; `restart()` brings it back on the same port with the same data."""

    data_dir: Path
    token: str
    port: int = 0
    url: str = ""
    # SHA-256 (SPKI, hex) of the sidecar's TLS key, as it prints it at start.
    fingerprint: str = ""
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    extra_args: list[str] = field(default_factory=list)
    host: str = "127.0.0.1"
    # Off by default, so parallel test runs stay off the network (the discovery test turns it on).
    env: dict[str, str] = field(default_factory=lambda: {"FORGE_ZEROCONF": "off"})

    @property
    def config_dir(self) -> Path:
        """The ESPHome config folder the sidecar serves."""
        return self.data_dir / "config"

    @property
    def instance_id(self) -> str:
        """The sidecar's stable instance id (written to its data folder on first start)."""
        return (self.data_dir / "instance-id").read_text().strip()

    def write_devices(self, devices: dict[str, str]) -> None:
        """Write device YAMLs into the config folder."""
        self.config_dir.mkdir(parents=True, exist_ok=True)
        for name, text in devices.items():
            (self.config_dir / name).write_text(text)

    def start(self, token: str | None = None) -> None:
        """Start and wait for the `listening on` and `Admin token` lines."""
        if token is not None:
            self.token = token
        if not CLI.exists():
            raise RuntimeError(f"{CLI} is missing: build the TypeScript first (tsc -b)")
        self.starts += 1
        out_file = self.data_dir / f"stdout-{self.starts}.log"
        err_file = self.data_dir / f"stderr-{self.starts}.log"
        args = [
            find_node(),
            str(CLI),
            "serve",
            "--data-dir",
            str(self.data_dir),
            "--port",
            str(self.port),
            "--host",
            self.host,
            "--admin-token",
            self.token,
            "--local-slots",
            "1",
            "--no-seed",
            "--build-command",
            f"node {STANDIN}",
            *self.extra_args,
        ]
        with out_file.open("wb") as out, err_file.open("wb") as err:
            self.proc = subprocess.Popen(
                args,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                cwd=REPO,
                env={**os.environ, **self.env},
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            text = out_file.read_text(errors="replace")
            listen, token_line = LISTEN_RE.search(text), TOKEN_RE.search(text)
            if listen and token_line:
                self.url = listen.group(1)
                self.port = int(self.url.rsplit(":", 1)[1])
                if fp := FINGERPRINT_RE.search(text):
                    self.fingerprint = fp.group(1)
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        log = err_file.read_text(errors="replace")[-4000:]
        self.stop()
        raise RuntimeError(f"the sidecar did not start:\n{log}")

    def _signal(self, sig: int) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        # The process group we created: the sidecar and its local worker.
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            return

    def kill(self) -> None:
        """SIGKILL: the sidecar vanishes without closing anything."""
        self._signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM (graceful), SIGKILL after 10 s; the group is gone afterwards."""
        if self.proc is None:
            return
        self._signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        # Anything left in the group we created (the local worker exits with its parent anyway).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc = None

    def restart(self, token: str | None = None) -> None:
        """Start again on the same port and data folder."""
        self.start(token)

    def sign_revocation_list(self, revocation_list: dict[str, object]) -> dict[str, object]:
        """A revocation list signed with this sidecar's revocation key (for `/trust/revocations/import`)."""
        out = subprocess.run(
            [
                find_node(),
                "--input-type=module",
                "-e",
                SIGN_REVOCATION_LIST,
                str(self.data_dir),
                json.dumps(revocation_list),
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        )
        return json.loads(out.stdout)

    def log(self) -> str:
        """The sidecar's stderr of its latest start (for failure messages)."""
        path = self.data_dir / f"stderr-{self.starts}.log"
        return path.read_text(errors="replace") if path.exists() else ""
