"""The sandbox's shared machinery.

Accounts, the request log, canned answers, simulated calls and the status
callbacks posted back to Home Assistant.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable
import contextlib
from dataclasses import dataclass, field
import itertools
import json
import logging
from typing import Any, Final

from aiohttp import ClientError, ClientSession, ClientTimeout, web
from aiohttp.typedefs import StrOrURL
from multidict import CIMultiDict
from yarl import URL

LOGGER = logging.getLogger("sandbox")

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Plays a call out: the call, the webhook URL, (connect_after, end_after).
type Player = Callable[[SimulatedCall, str, tuple[float, float]], Awaitable[None]]
# Reports a digit pressed on a call; returns the HTTP status of the report.
type DigitSink = Callable[[str], Awaitable[int]]

# How the next announce calls play out (Sandbox.announce_outcome): the person
# presses 1, answers and presses nothing, presses 2; a voicemail box answers;
# nobody answers; the person answers and a digit is pressed on the page.
ANNOUNCE_OUTCOMES: Final = (
    "press_1",
    "no_digit",
    "press_2",
    "voicemail",
    "no_answer",
    "by_hand",
)
# The keys of a phone, as Sandbox.press takes them.
KEYS: Final = "0123456789*#"


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
    # "dial" (A, then B), or "announce" (one party hears a message).
    kind: str = "dial"
    # Every text the call was given to speak, as parsed (unescaped), in
    # order: its own (<Say>, or PCMO speak), then those of what replaced it
    # (the answer to its digit, a Twilio call updated with new TwiML).
    spoken: list[str] = field(default_factory=list)
    # The bodies Home Assistant answered the digit's report with, as text.
    answers: list[str] = field(default_factory=list)
    # The digits reported for it, oldest first.
    digits: list[str] = field(default_factory=list)
    # Who answered, as the provider reports it (Twilio's AnsweredBy).
    answered_by: str | None = None
    # What the provider's debugger would log about it (Twilio's warnings).
    warnings: list[str] = field(default_factory=list)
    # Whether the call has ended (its last report is posted).
    ended: bool = False
    # Set while the call waits for a digit: reports one (see Sandbox.press).
    on_digit: DigitSink | None = field(default=None, repr=False)

    @property
    def awaits_digit(self) -> bool:
        """Whether a digit pressed now would be reported."""
        return self.on_digit is not None


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
    # How the next dials end: completed, busy, no_answer, cancelled, failed,
    # or voicemail (B answered by a machine: completed where the provider
    # cannot tell; see plain_ending).
    ending: str = "completed"
    # How the next announce calls play out: one of ANNOUNCE_OUTCOMES.
    announce_outcome: str = "press_1"
    # Seconds an answered by_hand announce call waits for a digit pressed on
    # the page (or less: the call's own time limit).
    digit_timeout: float = 60.0
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

    @property
    def plain_ending(self) -> str:
        """Return the ending as a provider that tells no machines plays it.

        A voicemail box answering is B answering: the call completes.
        """
        return "completed" if self.ending == "voicemail" else self.ending

    async def press(self, call_id: str, digit: str) -> int:
        """Press a key on a call now: its provider reports it.

        Returns the HTTP status Home Assistant answered the report with (0 if
        unreachable). Raises KeyError for an unknown call, ValueError for a
        key a phone does not have or a call that waits for no digit.
        """
        call = self.calls[call_id]
        if len(digit) != 1 or digit not in KEYS:
            raise ValueError(f"{digit!r} is not a key of a phone")
        if call.on_digit is None:
            raise ValueError(f"call {call_id} is not waiting for a digit")
        return await call.on_digit(digit)

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
        *,
        kind: str = "dial",
        spoken: Iterable[str] = (),
    ) -> SimulatedCall:
        """Remember an accepted call; `player` plays it out to the saved webhook."""
        call = self.calls[call_id] = SimulatedCall(
            provider, call_id, to, from_, kind=kind, spoken=list(spoken)
        )
        url = self.webhooks.get(provider)
        if player is not None and self.progress is not None and url is not None:
            self.spawn(player(call, url, self.progress))
        return call

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
        status, _ = await self.exchange("POST", url, read=False, **kwargs)
        return status

    async def exchange(
        self, method: str, url: StrOrURL, *, read: bool = True, **kwargs: Any
    ) -> tuple[int, str]:
        """Send a request to Home Assistant; return its status and body text.

        (0, "") if it could not be reached or answered; the body is read as
        UTF-8 (undecodable bytes replaced), and not at all without `read`.
        """
        if self._session is None:
            self._session = ClientSession(timeout=ClientTimeout(total=10))
        try:
            async with self._session.request(
                method, as_given(url), **kwargs
            ) as response:
                text = await response.text("utf-8", "replace") if read else ""
                return response.status, text
        except (ClientError, TimeoutError) as err:
            LOGGER.warning("Could not %s to %s: %s", method.lower(), url, err)
            return 0, ""

    async def close(self, _app: web.Application | None = None) -> None:
        """Stop background jobs and close the outgoing session."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None


def as_given(url: StrOrURL) -> StrOrURL:
    """Return a URL that is requested exactly as written, where it can be.

    A URL Home Assistant gave is requested as it is (its escapes kept: a
    provider signs and requests the URL it was given); one that is not
    ready for the wire (spaces, text not in ASCII) is escaped by aiohttp.
    """
    if not isinstance(url, str) or not url.isascii():
        return url
    if any(character.isspace() or not character.isprintable() for character in url):
        return url
    try:
        return URL(url, encoded=True)
    except ValueError:
        return url


async def wait_for(event: asyncio.Event, seconds: float) -> bool:
    """Wait up to `seconds` for an event; return whether it is set."""
    if not event.is_set() and seconds > 0:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)
    return event.is_set()


async def take_digit(
    call: SimulatedCall,
    report: DigitSink,
    *,
    wait: float,
    stop: asyncio.Event,
    auto: str | None = None,
) -> str | None:
    """Let a call take one digit; return it, or None if none came.

    For `wait` seconds a digit pressed with Sandbox.press is reported (by
    `report`, whose HTTP status press returns); then `auto`, if given, is
    pressed. `stop` set (the call ended) stops the wait at once.
    """
    started = asyncio.Event()
    pressed: list[str] = []
    done = asyncio.Event()

    async def on_digit(digit: str) -> int:
        call.on_digit = None
        pressed.append(digit)
        call.digits.append(digit)
        started.set()
        try:
            return await report(digit)
        finally:
            done.set()

    call.on_digit = on_digit
    try:
        waiter = asyncio.ensure_future(started.wait())
        stopper = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait(
                (waiter, stopper),
                timeout=max(wait, 0),
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            waiter.cancel()
            stopper.cancel()
        if not started.is_set() and auto is not None and not stop.is_set():
            await on_digit(auto)
        elif started.is_set():
            await done.wait()
    finally:
        call.on_digit = None
    return pressed[0] if pressed else None
