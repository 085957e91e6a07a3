"""A small REST client for the Forge sidecar (`/api/v1`, admin bearer token).

The wire format is the sidecar's own (`shared/src/api.ts`): JSON bodies in camelCase and errors as
`{"error": {"code", "message"}}`. Responses are returned as plain dicts so the card can receive them
unchanged; only the integration's entities and services interpret them.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from .const import API_PREFIX, PRODUCT_NAME, REQUEST_TIMEOUT, SUPPORTED_API_VERSION


class ForgeError(Exception):
    """Base error of the sidecar client."""


class ForgeConnectionError(ForgeError):
    """The sidecar could not be reached (refused, timed out, not HTTP)."""


class ForgeAuthError(ForgeError):
    """The sidecar rejected the admin token (HTTP 401 or WebSocket close 4003)."""


class ForgeIncompatibleError(ForgeError):
    """The peer is not a Forge sidecar, or speaks an API version this integration does not."""


class ForgeApiError(ForgeError):
    """The sidecar answered with an error body `{error: {code, message}}`."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        """Keep the HTTP status and the sidecar's error code next to its message."""
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def normalize_url(url: str) -> str:
    """Return the sidecar base URL without a trailing slash or the /api/v1 suffix."""
    url = url.strip().rstrip("/")
    if url.endswith(API_PREFIX):
        url = url[: -len(API_PREFIX)]
    if "://" not in url:
        url = f"http://{url}"
    parsed = URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(url)
    return str(parsed.with_path("").with_query(None).with_fragment(None)).rstrip("/")


def check_compatible(info: dict[str, Any]) -> None:
    """Raise ForgeIncompatibleError unless `info` comes from a sidecar we can talk to."""
    if info.get("product") != PRODUCT_NAME:
        raise ForgeIncompatibleError(f"not a {PRODUCT_NAME} sidecar")
    if info.get("apiVersion") != SUPPORTED_API_VERSION:
        raise ForgeIncompatibleError(
            f"sidecar API version {info.get('apiVersion')}, "
            f"this integration speaks {SUPPORTED_API_VERSION}"
        )


class ForgeClient:
    """REST calls to one sidecar."""

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str) -> None:
        """Use HA's shared aiohttp session (inject-websession)."""
        self.session = session
        self.url = normalize_url(url)
        self.token = token

    @property
    def headers(self) -> dict[str, str]:
        """Authorization header for REST and the events WebSocket."""
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def events_url(self) -> str:
        """The events WebSocket URL."""
        base = URL(self.url)
        scheme = "wss" if base.scheme == "https" else "ws"
        return str(base.with_scheme(scheme).with_path(f"{API_PREFIX}/events"))

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        auth: bool = True,
        text: bool = False,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Send one request; return the decoded JSON body (or the text) or raise a ForgeError."""
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                resp = await self.session.request(
                    method,
                    f"{self.url}{API_PREFIX}{path}",
                    json=json,
                    params=params,
                    headers={**(self.headers if auth else {}), **(headers or {})},
                )
                async with resp:
                    if resp.status == 401:
                        raise ForgeAuthError(await _error_message(resp))
                    if resp.status >= 400:
                        code, message, details = await _error_body(resp)
                        raise ForgeApiError(resp.status, code, message, details)
                    if text:
                        return await resp.text()
                    if resp.content_type != "application/json":
                        text = await resp.text()
                        raise ForgeIncompatibleError(
                            f"expected JSON from {path}, got {resp.content_type}: {text[:80]}"
                        )
                    return await resp.json()
        except TimeoutError as err:
            raise ForgeConnectionError(f"timed out talking to {self.url}") from err
        except aiohttp.ClientError as err:
            raise ForgeConnectionError(f"cannot reach {self.url}: {err}") from err

    async def info(self) -> dict[str, Any]:
        """GET /info, checked for product and API version."""
        try:
            info = await self.request("GET", "/info")
        except ForgeApiError as err:
            # A 404 here means the peer is an HTTP server but not a Forge sidecar.
            raise ForgeIncompatibleError(err.message) from err
        if not isinstance(info, dict):
            raise ForgeIncompatibleError("unexpected /info response")
        check_compatible(info)
        return info

    async def device(self, device_id: str) -> dict[str, Any]:
        """GET /devices/:id."""
        return await self.request("GET", f"/devices/{quote(device_id, safe='')}")

    async def settings(self) -> dict[str, Any]:
        """GET /settings → the settings object."""
        body = await self.request("GET", "/settings")
        return body["settings"]

    async def create_jobs(
        self,
        action: str,
        device_ids: list[str],
        *,
        priority: str = "interactive",
        params: dict[str, Any] | None = None,
        source: str = "ha",
    ) -> dict[str, Any]:
        """POST /jobs for explicit devices → CreateJobsResponse."""
        return await self.request(
            "POST",
            "/jobs",
            json={
                "action": action,
                "targets": {"devices": device_ids},
                "priority": priority,
                "params": params or {},
                "source": source,
            },
        )

    async def report_presence(self, device_id: str, report: dict[str, Any]) -> dict[str, Any]:
        """PUT /devices/:id/presence with what HA's ESPHome integration knows → the Device."""
        return await self.request(
            "PUT", f"/devices/{quote(device_id, safe='')}/presence", json={"source": "ha", **report}
        )

    async def job(self, job_id: int) -> dict[str, Any]:
        """GET /jobs/:id."""
        return await self.request("GET", f"/jobs/{int(job_id)}")

    async def jobs(self, **query: str) -> dict[str, Any]:
        """GET /jobs with filters (device, state, action, limit, before)."""
        return await self.request("GET", "/jobs", params=query)

    async def job_log(self, job_id: int, offset: int = 0) -> str:
        """GET /jobs/:id/log (plain text)."""
        return await self.request(
            "GET", f"/jobs/{int(job_id)}/log", params={"offset": str(offset)}, text=True
        )

    async def cancel_job(self, job_id: int) -> dict[str, Any]:
        """POST /jobs/:id/cancel → the Job."""
        return await self.request("POST", f"/jobs/{int(job_id)}/cancel")

    async def patch_worker(self, worker_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        """PATCH /workers/:id → the Worker."""
        return await self.request("PATCH", f"/workers/{quote(worker_id, safe='')}", json=patch)

    async def clean_worker_cache(self, worker_id: str) -> None:
        """POST /workers/:id/clean-cache."""
        await self.request("POST", f"/workers/{quote(worker_id, safe='')}/clean-cache")

    async def create_schedule(self, schedule: dict[str, Any]) -> dict[str, Any]:
        """POST /schedules (ScheduleCreate, camelCase) → the Schedule."""
        return await self.request("POST", "/schedules", json=schedule)

    async def update_schedule(self, schedule_id: int, patch: dict[str, Any]) -> dict[str, Any]:
        """PATCH /schedules/:id → the Schedule."""
        return await self.request("PATCH", f"/schedules/{int(schedule_id)}", json=patch)

    async def delete_schedule(self, schedule_id: int) -> None:
        """DELETE /schedules/:id."""
        await self.request("DELETE", f"/schedules/{int(schedule_id)}")

    async def run_schedule(self, schedule_id: int) -> dict[str, Any]:
        """POST /schedules/:id/run → the ScheduleRun."""
        return await self.request("POST", f"/schedules/{int(schedule_id)}/run")

    async def trust_status(self) -> dict[str, Any]:
        """GET /trust/status → TrustStatus (policy, revocation list freshness, log check)."""
        return await self.request("GET", "/trust/status")

    async def revoke(self, entries: list[dict[str, Any]]) -> dict[str, Any]:
        """POST /trust/revocations with `{entries: [...]}` → the new signed list (version, expiry).

        Each entry is `{kind: "artifact", sha256, reason}` or `{kind: "signer", keyHint, reason}`;
        the sidecar adds them to its current list and publishes the next version.
        """
        return await self.request("POST", "/trust/revocations", json={"entries": entries})


async def _error_body(resp: aiohttp.ClientResponse) -> tuple[str, str, Any]:
    """Decode `{error: {code, message, details?}}`, tolerating peers that send something else."""
    try:
        body = await resp.json(content_type=None)
        err = body["error"]
        return str(err["code"]), str(err["message"]), err.get("details")
    except (ValueError, KeyError, TypeError, AttributeError, aiohttp.ContentTypeError):
        return "http_" + str(resp.status), resp.reason or f"HTTP {resp.status}", None


async def _error_message(resp: aiohttp.ClientResponse) -> str:
    return (await _error_body(resp))[1]
