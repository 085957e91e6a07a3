"""The sidecar's events WebSocket: connect, authenticate, read, reconnect with backoff.

One connection at a time. Each connection starts with a `snapshot`; before it is handed on, the
handler fetches what the stream does not carry. A lost connection is reported to the handler and
retried with exponential backoff (reset once a connection delivered a snapshot); a rejected token
ends the stream and starts reauthentication. Until the first snapshot arrives, any failure ends
the stream instead, so setup fails fast with the real reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp

from homeassistant.core import HomeAssistant

from .api import ForgeAuthError, ForgeClient, ForgeError, ForgeKeyChangedError
from .const import BACKOFF_INITIAL, BACKOFF_MAX, DOMAIN, LOGGER, WS_HEARTBEAT
from .tls_pin import KeyMismatchError

if TYPE_CHECKING:
    from .entry_data import ForgeConfigEntry

WS_MAX_MESSAGE = 64 * 1024 * 1024
CLOSE_UNAUTHORIZED = 4003


class EventStreamHandler(Protocol):
    """What the stream tells its owner (the coordinator)."""

    def handle_event(self, event: dict[str, Any]) -> None:
        """Apply one decoded event (snapshot, delta, log chunk, error)."""

    def stream_lost(self, err: Exception) -> None:
        """The connection ended (or was refused) for this reason."""


class ForgeEventStream:
    """Keeps one events-WebSocket connection to the sidecar alive and feeds its events to a handler."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ForgeConfigEntry,
        client: ForgeClient,
        handler: EventStreamHandler,
    ) -> None:
        """Nothing connects until `async_start`."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.handler = handler
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._first_snapshot: asyncio.Future[None] = hass.loop.create_future()
        self._task: asyncio.Task[None] | None = None

    @property
    def has_snapshot(self) -> bool:
        """True once the first snapshot was applied (or setup gave up waiting for it)."""
        return self._first_snapshot.done()

    @property
    def is_open(self) -> bool:
        """True while a connection is open (messages can be sent)."""
        return self._ws is not None and not self._ws.closed

    async def async_start(self, timeout: float) -> None:
        """Start the loop and wait for the first snapshot (raises ForgeError / TimeoutError)."""
        self._task = self.entry.async_create_background_task(
            self.hass, self._run(), f"{DOMAIN} events {self.client.url}"
        )
        try:
            async with asyncio.timeout(timeout):
                await asyncio.shield(self._first_snapshot)
        except BaseException:
            await self.async_stop()
            raise

    async def async_stop(self) -> None:
        """Stop the loop and close the connection (unload)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        self._ws = None
        if not self._first_snapshot.done():
            self._first_snapshot.cancel()

    async def async_send(self, message: dict[str, Any]) -> None:
        """Send one message on the open connection (raises ConnectionError when there is none)."""
        ws = self._ws
        if ws is None or ws.closed:
            raise ConnectionError("the sidecar is not connected")
        await ws.send_json(message)

    async def _run(self) -> None:
        backoff = BACKOFF_INITIAL
        while True:
            got_snapshot = False
            try:
                got_snapshot = await self._listen()
                error: Exception = ConnectionError("the sidecar closed the events stream")
            except ForgeAuthError as err:
                self.handler.stream_lost(err)
                if not self._first_snapshot.done():
                    self._first_snapshot.set_exception(err)
                    return
                LOGGER.warning(
                    "The Forge sidecar at %s rejected the admin token; reauthentication needed",
                    self.client.url,
                )
                self.entry.async_start_reauth(self.hass)
                return
            except (aiohttp.ClientError, OSError, TimeoutError, ForgeError, ValueError) as err:
                error = err
            except Exception as err:  # noqa: BLE001 (a bad event must not end the stream for good)
                LOGGER.exception("Unexpected error in the Forge events stream; resyncing")
                error = err
            self.handler.stream_lost(error)
            if got_snapshot:
                backoff = BACKOFF_INITIAL
            if not self._first_snapshot.done():
                # Setup is still waiting: let it fail fast with the real reason.
                self._first_snapshot.set_exception(ConnectionError(str(error)))
                return
            LOGGER.debug("Reconnecting to %s in %.1f s", self.client.url, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX)

    async def _listen(self) -> bool:
        """One connection: returns True if a snapshot arrived before it ended."""
        got_snapshot = False
        try:
            ws = await self.client.session.ws_connect(
                self.client.events_url,
                headers=self.client.headers,
                ssl=self.client.ssl,
                heartbeat=WS_HEARTBEAT,
                max_msg_size=WS_MAX_MESSAGE,
            )
        except KeyMismatchError as err:
            raise ForgeKeyChangedError(err.presented) from err
        except aiohttp.WSServerHandshakeError as err:
            if err.status == 401:
                raise ForgeAuthError(str(err)) from err
            raise
        self._ws = ws
        try:
            # The sidecar authenticates the upgrade by the Authorization header (a wrong token is a
            # 401 above); nothing is sent before the snapshot.
            async for msg in ws:
                if msg.type is aiohttp.WSMsgType.TEXT:
                    event = json.loads(msg.data)
                    if event.get("type") == "error" and event.get("code") == "unauthorized":
                        raise ForgeAuthError(event.get("message", "unauthorized"))
                    is_snapshot = event.get("type") == "snapshot"
                    if is_snapshot:
                        got_snapshot = True
                    self.handler.handle_event(event)
                    if is_snapshot and not self._first_snapshot.done():
                        self._first_snapshot.set_result(None)
                elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    break
                elif msg.type is aiohttp.WSMsgType.ERROR:
                    raise ConnectionError(str(ws.exception()))
            if ws.close_code == CLOSE_UNAUTHORIZED:
                raise ForgeAuthError("the sidecar closed the events stream: unauthorized")
        finally:
            self._ws = None
            if not ws.closed:
                await ws.close()
        return got_snapshot
