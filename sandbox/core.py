"""The sandbox's shared machinery.

Accounts, the request log, canned answers, simulated calls and the status
callbacks posted back to Home Assistant.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
import itertools
import json
import logging
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web
from aiohttp.typedefs import StrOrURL
from multidict import CIMultiDict

LOGGER = logging.getLogger("sandbox")

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Plays a call out: the call, the webhook URL, (connect_after, end_after).
type Player = Callable[[SimulatedCall, str, tuple[float, float]], Awaitable[None]]


async def json_object(request: web.Request) -> dict[str, Any] | None:
    """Return the request's body as a JSON object, or None if it is not one."""
    try:
        body = json.loads(await request.read())
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


@dataclass(frozen=True, slots=True)
class Received:
    """A request as it reached the sandbox."""

    provider: str
    method: str
    path: str
    query: dict[str, str]
    headers: CIMultiDict[str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Canned:
    """An answer a test queued for the next request to a provider."""

    status: int
    body: str
    content_type: str = "application/json"
    # Close the connection without answering, after reading the request.
    disconnect: bool = False
    # Seconds to wait before answering.
    delay: float = 0
    charset: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Bytes sent as they are instead of `body` (a compressed body, say).
    raw: bytes | None = None


@dataclass(slots=True)
class SimulatedCall:
    """A call the sandbox accepted."""

    provider: str
    call_id: str
    to: str
    from_: str | None
    # Statuses posted for it so far, newest last.
    reported: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Sandbox:
    """State shared by every provider's handlers."""

    accounts: dict[str, dict[str, str]]
    # provider -> the path of its API on the sandbox
    api_paths: dict[str, str] = field(default_factory=dict)
    # provider -> webhook URL that simulated statuses are posted to
    webhooks: dict[str, str] = field(default_factory=dict)
    # Seconds before a simulated call reports `connected` and then its end
    # (the generic webhook, and Spokn's callbacks); None: calls do not play out.
    progress: tuple[float, float] | None = (3.0, 8.0)
    ending: str = "completed"
    # Ameyo answers a dial after this many seconds, with this outcome's sample
    # (see sandbox.ameyo.OUTCOMES) when agent and campaign are right.
    ameyo_delay: float = 5.0
    ameyo_outcome: str = "connected"
    # Seconds after a voice panel call is placed until its report shows it
    # connected, then ended (by `ending`).
    voice_panel_progress: tuple[float, float] = (3.0, 8.0)
    # TeleCMI's webhook format: "chub" (request_id in each) or "chub-india".
    telecmi_format: str = "chub"
    # Whether the Spokn account may set apartycid, bpartycid and url.
    spokn_enterprise: bool = True
    requests: list[Received] = field(default_factory=list)
    calls: dict[str, SimulatedCall] = field(default_factory=dict)
    _canned: defaultdict[str, deque[Canned]] = field(
        default_factory=lambda: defaultdict(deque)
    )
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _session: ClientSession | None = None

    def queue(self, provider: str, *answers: Canned) -> None:
        """Answer the next requests to `provider` with these, in order."""
        self._canned[provider].extend(answers)

    def received(self, provider: str) -> list[Received]:
        """Return the requests that reached `provider`, oldest first."""
        return [item for item in self.requests if item.provider == provider]

    def next_id(self) -> int:
        """Return a fresh number for ids."""
        return next(self._ids)

    def wrap(self, provider: str, handler: Handler) -> Handler:
        """Log each request, and answer with a canned answer where one waits."""

        async def logged(request: web.Request) -> web.StreamResponse:
            body = await request.read()
            self.requests.append(
                Received(
                    provider,
                    request.method,
                    request.path,
                    dict(request.query),
                    CIMultiDict(request.headers),
                    body,
                )
            )
            if self._canned[provider]:
                canned = self._canned[provider].popleft()
                await asyncio.sleep(canned.delay)
                if canned.disconnect and request.transport is not None:
                    request.transport.close()
                    raise asyncio.CancelledError
                return web.Response(
                    status=canned.status,
                    body=canned.body.encode() if canned.raw is None else canned.raw,
                    content_type=canned.content_type,
                    charset=canned.charset,
                    headers=canned.headers,
                )
            return await handler(request)

        return logged

    def place(
        self,
        provider: str,
        call_id: str,
        to: str,
        from_: str | None,
        player: Player | None = None,
    ) -> None:
        """Remember an accepted call; `player` plays it out to the saved webhook."""
        call = self.calls[call_id] = SimulatedCall(provider, call_id, to, from_)
        url = self.webhooks.get(provider)
        if player is not None and self.progress is not None and url is not None:
            self.spawn(player(call, url, self.progress))

    def spawn(self, coro: Awaitable[None]) -> None:
        """Run a background job for as long as the sandbox runs."""
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def report(
        self, call_id: str, status: str, duration: int | None = None
    ) -> int:
        """Post a generic JSON status for a call to its provider's webhook."""
        call = self.calls[call_id]
        body: dict[str, Any] = {"provider_call_id": call_id, "status": status}
        if duration is not None:
            body["duration"] = duration
        call.reported.append(status)
        return await self.post(self.webhooks[call.provider], json=body)

    async def post(self, url: StrOrURL, **kwargs: Any) -> int:
        """POST to Home Assistant; return the HTTP status (0 if unreachable)."""
        if self._session is None:
            self._session = ClientSession(timeout=ClientTimeout(total=10))
        try:
            async with self._session.post(url, **kwargs) as response:
                return response.status
        except (ClientError, TimeoutError) as err:
            LOGGER.warning("Could not post to %s: %s", url, err)
            return 0

    async def close(self, _app: web.Application | None = None) -> None:
        """Stop background jobs and close the outgoing session."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
