"""The sidecar's config workspace routes (history in git, editing), as the card and services use them.

Every change is a commit whose author is the Home Assistant user who asked (`X-Forge-User`) and
whose source says from where (`X-Forge-Source`: `card` for the card's commands, `ha` for services).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .api import ForgeClient

ACTOR_HEADER = "X-Forge-User"
SOURCE_HEADER = "X-Forge-Source"


def actor_headers(user_name: str | None, source: str) -> dict[str, str]:
    """The headers naming who made a change; names the sidecar would refuse are left out."""
    headers = {SOURCE_HEADER: source}
    name = (user_name or "").strip()
    if name and len(name) <= 128 and not any(c in name for c in "<>") and name.isprintable():
        headers[ACTOR_HEADER] = name
    return headers


def _dev(device_id: str) -> str:
    return f"/devices/{quote(device_id, safe='')}"


def _params(**values: Any) -> dict[str, str]:
    return {k: str(v) for k, v in values.items() if v is not None}


class WorkspaceClient:
    """Config files, history, diffs, restore and new devices of one sidecar."""

    def __init__(self, client: ForgeClient) -> None:
        """Share the sidecar client (session, URL, token)."""
        self.client = client

    async def read(self, device_id: str, path: str | None = None) -> dict[str, Any]:
        """GET /devices/:id/config → WorkspaceFile."""
        return await self.client.request(
            "GET", f"{_dev(device_id)}/config", params=_params(path=path)
        )

    async def read_secrets(self) -> dict[str, Any]:
        """GET /workspace/files?path=secrets.yaml&reveal=true (administrators only, asked explicitly)."""
        return await self.client.request(
            "GET", "/workspace/files", params={"path": "secrets.yaml", "reveal": "true"}
        )

    async def save(
        self,
        device_id: str,
        content: str,
        sha256: str,
        headers: dict[str, str],
        path: str | None = None,
    ) -> dict[str, Any]:
        """PUT /devices/:id/config with If-Match → SaveFileResponse (409 is a ForgeApiError with details)."""
        return await self.client.request(
            "PUT",
            f"{_dev(device_id)}/config",
            json={"content": content},
            params=_params(path=path),
            headers={**headers, "If-Match": f'"{sha256}"'},
        )

    async def history(self, device_id: str, offset: int, limit: int) -> dict[str, Any]:
        """GET /devices/:id/history → HistoryPage."""
        return await self.client.request(
            "GET", f"{_dev(device_id)}/history", params=_params(offset=offset, limit=limit)
        )

    async def diff(self, device_id: str, frm: str, to: str | None = None) -> dict[str, Any]:
        """GET /devices/:id/diff → DiffResponse."""
        return await self.client.request(
            "GET", f"{_dev(device_id)}/diff", params=_params(**{"from": frm, "to": to})
        )

    async def restore(self, device_id: str, commit: str, headers: dict[str, str]) -> dict[str, Any]:
        """POST /devices/:id/restore → RestoreResponse (a new commit)."""
        return await self.client.request(
            "POST", f"{_dev(device_id)}/restore", json={"commit": commit}, headers=headers
        )

    async def templates(self) -> dict[str, Any]:
        """GET /workspace/templates → templates and secret key names (never values)."""
        return await self.client.request("GET", "/workspace/templates")

    async def create(self, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        """POST /devices → CreateDeviceResponse."""
        return await self.client.request("POST", "/devices", json=body, headers=headers)

    async def status(self) -> dict[str, Any]:
        """GET /workspace → WorkspaceStatus (head, remote push state)."""
        return await self.client.request("GET", "/workspace")
