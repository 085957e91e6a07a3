"""Home Assistant as a witness of the sidecar's transparency log.

The integration keeps the newest log checkpoint it has seen (tree size and root) in its own storage,
outside the sidecar's data folder. On every new checkpoint it asks the sidecar for an RFC 6962
consistency proof from the size it witnessed and checks it here, with its own code (RFC 9162
§2.1.4.2): a log that was rewritten (forked) or shrank cannot produce one. Then a repairs issue is
raised and the witnessed checkpoint is kept, so the problem stays visible until the log extends it
again. A sidecar restored from an old backup, or one whose database was rebuilt by hand, is noticed
even when its own audit was fooled.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
import hashlib
import hmac
from typing import Any, Protocol

# RFC 6962 §2.1: leaf and interior node hashes are domain-separated by a one-byte prefix.
_NODE_PREFIX = b"\x01"


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> bool:
    """Check that the tree of `new_size` leaves (`new_root`) extends the one of `old_size` (`old_root`).

    RFC 9162 §2.1.4.2. Never raises: the proof comes from outside.
    """
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and hmac.compare_digest(old_root, new_root)
    if old_size == 0:
        return not proof
    # When the old size is a power of two, the old root is the first node of the path.
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = _node(c, fr)
            sr = _node(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = _node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(fr, old_root) and hmac.compare_digest(sr, new_root)


@dataclass(frozen=True)
class Checkpoint:
    """The body of a C2SP signed note: origin, tree size, root hash."""

    origin: str
    tree_size: int
    root: bytes


def parse_checkpoint(envelope: str) -> Checkpoint:
    """Parse a signed note's body; raises ValueError for anything else."""
    body, sep, _signatures = envelope.partition("\n\n")
    lines = body.split("\n")
    if not sep or len(lines) < 3:
        raise ValueError("not a signed checkpoint")
    size = int(lines[1])
    root = base64.b64decode(lines[2], validate=True)
    if size < 0 or len(root) != 32:
        raise ValueError("checkpoint has a bad size or root")
    return Checkpoint(origin=lines[0], tree_size=size, root=root)


@dataclass
class WitnessResult:
    """What the witness concluded about one new checkpoint."""

    state: str  # "first_seen" | "consistent" | "unchanged" | "forked" | "shrank"
    tree_size: int
    witnessed_size: int
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the log still extends what was witnessed."""
        return self.problem is None


class ConsistencySource(Protocol):
    """What the witness needs from the sidecar (ForgeClient has both)."""

    async def log_checkpoint(self) -> dict[str, Any]:
        """GET /trust/log/checkpoint."""

    async def log_consistency(self, old_size: int, new_size: int) -> dict[str, Any]:
        """GET /trust/log/consistency?from=&to=."""


async def witness(
    source: ConsistencySource, stored: dict[str, Any] | None
) -> tuple[WitnessResult, dict[str, Any]]:
    """Check the sidecar's newest checkpoint against the stored one.

    Returns the result and what to store next (the new checkpoint when consistent; the old one otherwise,
    so a fork stays reported).
    """
    latest = await source.log_checkpoint()
    new = parse_checkpoint(str(latest["envelope"]))
    now = datetime.now(UTC).isoformat()
    record = {
        "tree_size": new.tree_size,
        "root": base64.b64encode(new.root).decode(),
        "origin": new.origin,
        "witnessed_at": now,
    }
    if not stored:
        return WitnessResult("first_seen", new.tree_size, new.tree_size), record
    old_size = int(stored["tree_size"])
    old_root = base64.b64decode(stored["root"])
    # A rotated log key starts a new origin; its entries extend the same tree, so the proof still applies.
    if new.tree_size < old_size:
        problem = f"the log has {new.tree_size} entries, but {old_size} were witnessed: it shrank"
        return WitnessResult("shrank", new.tree_size, old_size, problem), stored
    if new.tree_size == old_size:
        if hmac.compare_digest(new.root, old_root):
            return WitnessResult("unchanged", new.tree_size, old_size), {
                **stored,
                "witnessed_at": now,
            }
        problem = (
            f"the log at size {old_size} has another root than the one witnessed: it was rewritten"
        )
        return WitnessResult("forked", new.tree_size, old_size, problem), stored
    proof = await source.log_consistency(old_size, new.tree_size)
    to_cp = parse_checkpoint(str(proof["toCheckpoint"]))
    hashes = [base64.b64decode(h) for h in proof.get("hashes", [])]
    if to_cp.tree_size != new.tree_size or not hmac.compare_digest(to_cp.root, new.root):
        problem = "the consistency proof names another head than the log's checkpoint"
        return WitnessResult("forked", new.tree_size, old_size, problem), stored
    if not verify_consistency(old_size, new.tree_size, old_root, new.root, hashes):
        problem = (
            f"the log at size {new.tree_size} does not extend the size-{old_size} log witnessed "
            f"{stored.get('witnessed_at', '')}: its history was rewritten (forked)"
        )
        return WitnessResult("forked", new.tree_size, old_size, problem), stored
    return WitnessResult("consistent", new.tree_size, old_size), record
