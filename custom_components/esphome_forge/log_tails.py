"""Job-log tails multiplexed over the coordinator's one events connection.

Several card panels may follow the same job: they share one sidecar subscription, and each gets
exactly the bytes it has not seen yet. After a reconnect every unfinished tail is subscribed again
from the lowest offset any of its followers still needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback

from .const import DOMAIN
from .events_stream import ForgeEventStream

type EventRelay = Callable[[dict[str, Any]], None]


@dataclass
class _LogSubscriber:
    job_id: int
    next_offset: int
    send: EventRelay


class JobLogTails:
    """Who follows which job's log, and from which byte offset."""

    def __init__(self, hass: HomeAssistant, stream: ForgeEventStream) -> None:
        """Tails are requested on, and arrive over, `stream`."""
        self.hass = hass
        self.stream = stream
        self._subs: dict[int, list[_LogSubscriber]] = {}
        self._ended: set[int] = set()

    async def async_subscribe(self, job_id: int, offset: int, send: EventRelay) -> CALLBACK_TYPE:
        """Follow a job's log; `send` gets `log` / `log_end` events until the callback runs."""
        if not self.stream.is_open:
            raise ConnectionError("the sidecar is not connected")
        sub = _LogSubscriber(job_id, offset, send)
        self._subs.setdefault(job_id, []).append(sub)
        self._ended.discard(job_id)
        await self.stream.async_send({"type": "subscribe_log", "jobId": job_id, "offset": offset})

        @callback
        def unsubscribe() -> None:
            subs = self._subs.get(job_id, [])
            if sub in subs:
                subs.remove(sub)
            if not subs:
                self._subs.pop(job_id, None)
                if self.stream.is_open:
                    self.hass.async_create_background_task(
                        self.stream.async_send({"type": "unsubscribe_log", "jobId": job_id}),
                        f"{DOMAIN} unsubscribe log {job_id}",
                    )

        return unsubscribe

    @callback
    def route(self, event: dict[str, Any]) -> None:
        """Hand a `log` / `log_end` event to the job's followers."""
        job_id = int(event["jobId"])
        subs = self._subs.get(job_id, [])
        if event["type"] == "log_end":
            self._ended.add(job_id)
            for sub in subs:
                sub.send(event)
            return
        raw = event["chunk"].encode()
        start = int(event["offset"])
        end = start + len(raw)
        for sub in subs:
            # Several subscribers share one sidecar subscription and each re-subscribe replays from
            # an offset: give each subscriber exactly the bytes it has not seen yet.
            if end <= sub.next_offset and raw:
                continue
            out = dict(event)
            if start < sub.next_offset:
                out["chunk"] = raw[sub.next_offset - start :].decode(errors="ignore")
                out["offset"] = sub.next_offset
            sub.next_offset = max(sub.next_offset, end)
            sub.send(out)

    @callback
    def resubscribe(self) -> None:
        """A new connection (fresh snapshot): ask again for every tail that has not ended."""
        if not self.stream.is_open:
            return
        for job_id, subs in self._subs.items():
            if job_id in self._ended or not subs:
                continue
            offset = min(sub.next_offset for sub in subs)
            self.hass.async_create_background_task(
                self.stream.async_send(
                    {"type": "subscribe_log", "jobId": job_id, "offset": offset}
                ),
                f"{DOMAIN} resubscribe log {job_id}",
            )
