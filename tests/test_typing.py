"""The integration passes mypy in strict mode (HA's `strict-typing` rule; config in pyproject.toml).

mypy keeps its cache beside the other tool caches, so a run after the first checks only what
changed (a few seconds).
"""

from __future__ import annotations

import os
from pathlib import Path
import subprocess
import sys

from .sidecar import REPO

CACHE = Path(os.environ.get("FORGE_CACHE", Path.home() / ".cache" / "esphome-forge")) / "mypy-cache"


def test_integration_is_strictly_typed() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(CACHE), "--no-error-summary"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
