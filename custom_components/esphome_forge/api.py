"""A small REST client for the Forge sidecar (`/api/v1`, admin bearer token).

The wire format is the sidecar's own (`shared/src/api.ts`): JSON bodies in camelCase and errors as
`{"error": {"code", "message"}}`. Responses are returned as plain dicts so the card can receive them
unchanged; only the integration's entities and services interpret them.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast
from urllib.parse import quote

import aiohttp
from yarl import URL

from .const import API_PREFIX, PRODUCT_NAME, REQUEST_TIMEOUT, SUPPORTED_API_VERSION
from .models import Device, Job, Worker
from .tls_pin import KeyMismatchError, PinnedKey


class ForgeError(Exception):
    """Base error of the sidecar client."""


class ForgeConnectionError(ForgeError):
    """The sidecar could not be reached (refused, timed out, not HTTP)."""


class ForgeAuthError(ForgeError):
    """The sidecar rejected the admin token (HTTP 401 or WebSocket close 4003)."""


class ForgeKeyChangedError(ForgeAuthError):
    """The sidecar presented another TLS key than the pinned one: never accepted silently (reauth)."""

    def __init__(self, presented: str) -> None:
        """`presented`: the new key's fingerprint, for the user to compare."""
        super().__init__(f"the sidecar presented another TLS key (sha256 {presented})")
        self.presented = presented


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

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        token: str,
        fingerprint: str | None = None,
    ) -> None:
        """Use HA's shared aiohttp session (inject-websession); pin the TLS key when given."""
        self.session = session
        self.url = normalize_url(url)
        self.token = token
        # A pinned key (the sidecar's self-signed one), else normal CA verification for https.
        self.ssl: PinnedKey | bool = PinnedKey(fingerprint) if fingerprint else True

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
                    ssl=self.ssl,
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
                        body = await resp.text()
                        raise ForgeIncompatibleError(
                            f"expected JSON from {path}, got {resp.content_type}: {body[:80]}"
                        )
                    return await resp.json()
        except TimeoutError as err:
            raise ForgeConnectionError(f"timed out talking to {self.url}") from err
        except KeyMismatchError as err:
            raise ForgeKeyChangedError(err.presented) from err
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

    async def request_object(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """`request` for a route that answers a JSON object; anything else is an incompatible peer."""
        body = await self.request(method, path, **kwargs)
        if not isinstance(body, dict):
            raise ForgeIncompatibleError(f"expected a JSON object from {path}")
        return body

    async def device(self, device_id: str) -> Device:
        """GET /devices/:id."""
        return cast(
            "Device", await self.request_object("GET", f"/devices/{quote(device_id, safe='')}")
        )

    async def settings(self) -> dict[str, Any]:
        """GET /settings → the settings object."""
        body = await self.request_object("GET", "/settings")
        settings: dict[str, Any] = body["settings"]
        return settings

    async def routing_rules(self) -> list[dict[str, Any]]:
        """The ordered routing rules (a setting)."""
        return list((await self.settings()).get("routingRules") or [])

    async def set_routing_rules(self, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """PATCH /settings with new routing rules; the sidecar checks them."""
        body = await self.request("PATCH", "/settings", json={"routingRules": rules})
        return list(body["settings"]["routingRules"])

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
        return await self.request_object(
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

    async def report_presence(self, device_id: str, report: dict[str, Any]) -> Device:
        """PUT /devices/:id/presence with what HA's ESPHome integration knows → the Device."""
        return cast(
            "Device",
            await self.request_object(
                "PUT",
                f"/devices/{quote(device_id, safe='')}/presence",
                json={"source": "ha", **report},
            ),
        )

    async def job(self, job_id: int) -> Job:
        """GET /jobs/:id."""
        return cast("Job", await self.request_object("GET", f"/jobs/{int(job_id)}"))

    async def jobs(self, **query: str) -> dict[str, Any]:
        """GET /jobs with filters (device, state, action, limit, before)."""
        return await self.request_object("GET", "/jobs", params=query)

    async def job_log(self, job_id: int, offset: int = 0) -> str:
        """GET /jobs/:id/log (plain text)."""
        log: str = await self.request(
            "GET", f"/jobs/{int(job_id)}/log", params={"offset": str(offset)}, text=True
        )
        return log

    async def cancel_job(self, job_id: int) -> Job:
        """POST /jobs/:id/cancel → the Job."""
        return cast("Job", await self.request_object("POST", f"/jobs/{int(job_id)}/cancel"))

    async def patch_worker(self, worker_id: str, patch: dict[str, Any]) -> Worker:
        """PATCH /workers/:id → the Worker."""
        return cast(
            "Worker",
            await self.request_object("PATCH", f"/workers/{quote(worker_id, safe='')}", json=patch),
        )

    async def clean_worker_cache(self, worker_id: str) -> None:
        """POST /workers/:id/clean-cache."""
        await self.request("POST", f"/workers/{quote(worker_id, safe='')}/clean-cache")

    async def create_schedule(self, schedule: dict[str, Any]) -> dict[str, Any]:
        """POST /schedules (ScheduleCreate, camelCase) → the Schedule."""
        return await self.request_object("POST", "/schedules", json=schedule)

    async def update_schedule(self, schedule_id: int, patch: dict[str, Any]) -> dict[str, Any]:
        """PATCH /schedules/:id → the Schedule."""
        return await self.request_object("PATCH", f"/schedules/{int(schedule_id)}", json=patch)

    async def delete_schedule(self, schedule_id: int) -> None:
        """DELETE /schedules/:id."""
        await self.request("DELETE", f"/schedules/{int(schedule_id)}")

    async def run_schedule(self, schedule_id: int) -> dict[str, Any]:
        """POST /schedules/:id/run → the ScheduleRun."""
        return await self.request_object("POST", f"/schedules/{int(schedule_id)}/run")

    async def trust_status(self) -> dict[str, Any]:
        """GET /trust/status → TrustStatus (policy, revocation list freshness, log check)."""
        return await self.request_object("GET", "/trust/status")

    async def log_checkpoint(self) -> dict[str, Any]:
        """GET /trust/log/checkpoint → {treeSize, envelope} (the log's newest signed head)."""
        return await self.request_object("GET", "/trust/log/checkpoint")

    async def log_consistency(self, old_size: int, new_size: int) -> dict[str, Any]:
        """GET /trust/log/consistency → the RFC 6962 proof that `new_size` extends `old_size`."""
        return await self.request_object(
            "GET", f"/trust/log/consistency?from={int(old_size)}&to={int(new_size)}"
        )

    async def revoke(self, entries: list[dict[str, Any]]) -> dict[str, Any]:
        """POST /trust/revocations with `{entries: [...]}` → the new signed list (version, expiry).

        Each entry is `{kind: "artifact", sha256, reason}` or `{kind: "signer", keyHint, reason}`;
        the sidecar adds them to its current list and publishes the next version.
        """
        return await self.request_object("POST", "/trust/revocations", json={"entries": entries})


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
