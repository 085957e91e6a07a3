"""Home Assistant witnesses the sidecar's transparency log with RFC 6962 consistency proofs.

A real sidecar: HA keeps the newest checkpoint, checks each new one with a consistency proof (its own
Python code), and raises a repairs issue when the log was rewritten — here by an attacker with the
sidecar's data folder who rebuilt the log's hashes after editing an entry, so the sidecar's own
audit and anchor have nothing to compare against.
"""

from __future__ import annotations

from collections.abc import Generator
import hashlib
from pathlib import Path
import sqlite3
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.esphome_forge.const import DOMAIN
from custom_components.esphome_forge.log_witness import verify_consistency
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .conftest import ENTRY_ID, async_wait_for
from .sidecar import Sidecar

WITNESS_ISSUE = f"trust_log_forked_{ENTRY_ID}"


@pytest.fixture(autouse=True)
def quick_trust_debounce() -> Generator[None]:
    """Fetch the status shortly after a trust change instead of after the production cooldown."""
    with patch("custom_components.esphome_forge.trust_status.TRUST_STATUS_DEBOUNCE", 0.2):
        yield


def _h(*parts: bytes) -> bytes:
    return hashlib.sha256(b"".join(parts)).digest()


def _rebuild_log(data_dir: Path) -> None:
    """As an attacker with the data folder: edit entry 0, rebuild every hash, drop what would tell."""
    db = sqlite3.connect(data_dir / "forge.db")
    try:
        body = db.execute("SELECT body FROM trust_log_leaves WHERE idx = 0").fetchone()[0]
        edited = bytes(body).replace(b'"kind"', b'"kind" ', 1)
        db.execute("UPDATE trust_log_leaves SET body = ? WHERE idx = 0", (edited,))
        leaves = {
            idx: _h(b"\x00", bytes(b))
            for idx, b in db.execute("SELECT idx, body FROM trust_log_leaves ORDER BY idx")
        }
        for idx, leaf in leaves.items():
            db.execute("UPDATE trust_log_leaves SET leaf_hash = ? WHERE idx = ?", (leaf, idx))
        db.execute("DELETE FROM trust_log_nodes")
        level, below, n = 1, leaves, len(leaves)
        while (1 << level) <= n:
            current = {i: _h(b"\x01", below[2 * i], below[2 * i + 1]) for i in range(n >> level)}
            db.executemany(
                "INSERT INTO trust_log_nodes (level, idx, hash) VALUES (?, ?, ?)",
                [(level, i, h) for i, h in current.items()],
            )
            below, level = current, level + 1
        db.execute("DELETE FROM trust_log_checkpoints")
        db.execute("DELETE FROM trust_log_audit")
        db.commit()
    finally:
        db.close()
    (data_dir / "state" / "anchor.json").unlink(missing_ok=True)


def test_consistency_proof_rules() -> None:
    """The RFC 9162 verifier on hand-built trees: extensions pass, anything else fails."""
    leaves = [_h(b"\x00", bytes([i])) for i in range(7)]

    def root(xs: list[bytes]) -> bytes:
        if len(xs) == 1:
            return xs[0]
        k = 1
        while k * 2 < len(xs):
            k *= 2
        return _h(b"\x01", root(xs[:k]), root(xs[k:]))

    # From 3 to 7 leaves, as RFC 9162's SUBPROOF builds it.
    old, new = root(leaves[:3]), root(leaves)
    proof = [leaves[2], leaves[3], root(leaves[:2]), root(leaves[4:])]
    assert verify_consistency(3, 7, old, new, proof)
    assert not verify_consistency(3, 7, old, new, proof[:-1])
    assert not verify_consistency(3, 7, root(leaves[1:4]), new, proof)
    assert not verify_consistency(7, 3, new, old, proof)
    # A power-of-two old size: its root starts the path.
    assert verify_consistency(4, 7, root(leaves[:4]), new, [root(leaves[4:])])
    assert verify_consistency(7, 7, new, new, [])
    assert not verify_consistency(7, 7, new, old, [])


async def test_witness_notices_a_forked_log(
    hass: HomeAssistant,
    sidecar: Sidecar,
    init_integration: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Consistent growth is witnessed; a log rebuilt by hand raises the issue."""
    trust = init_integration.runtime_data.trust
    issues = ir.async_get(hass)
    assert trust.witness is not None
    first = trust.witness["treeSize"]
    assert trust.witness["ok"] is True

    await hass.services.async_call(
        DOMAIN, "compile", {"tag": ["outdoor"], "upload": False}, blocking=True
    )
    devices = init_integration.runtime_data.coordinator.data.devices
    await async_wait_for(
        lambda: devices["porch"]["trust"]["pending"]["state"] == "verified", what="porch built"
    )
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "esphome_forge/trust_status"})
    status = (await client.receive_json())["result"]
    # "unchanged" when a debounced refresh already witnessed this head through a consistency proof.
    assert status["witness"]["state"] in ("consistent", "unchanged")
    # Witnessed from an earlier head (another refresh may have come between): never from scratch.
    assert first <= status["witness"]["witnessedSize"] <= status["witness"]["treeSize"]
    assert status["witness"]["treeSize"] > first
    assert issues.async_get_issue(DOMAIN, WITNESS_ISSUE) is None

    coordinator = init_integration.runtime_data.coordinator
    await hass.async_add_executor_job(sidecar.stop)
    await async_wait_for(lambda: not coordinator.connected, what="disconnected")
    await hass.async_add_executor_job(_rebuild_log, sidecar.data_dir)
    await hass.async_add_executor_job(sidecar.restart)
    await async_wait_for(
        lambda: issues.async_get_issue(DOMAIN, WITNESS_ISSUE) is not None,
        what="the witness issue after the restart",
    )
    issue = issues.async_get_issue(DOMAIN, WITNESS_ISSUE)
    assert issue.translation_key == "trust_log_forked"
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders["state"] == "forked"
    assert "rewritten" in issue.translation_placeholders["problem"]
    assert trust.witness["ok"] is False
