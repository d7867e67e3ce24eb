"""A stand-in for Home Assistant's webhook: records what the sandbox sends it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import json
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Hit:
    """A request as it reached the stand-in."""

    method: str
    path: str
    # The URL as requested: scheme, host, path and query.
    url: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def __repr__(self) -> str:
        return f"Hit({self.method} {self.path} {self.query} {self.body[:300]!r})"

    @property
    def form(self) -> dict[str, str]:
        """The form fields: of the body for a POST, of the query for a GET."""
        if self.method == "GET":
            return dict(self.query)
        pairs = parse_qsl(self.body.decode(), keep_blank_values=True)
        assert len(pairs) == len(dict(pairs))  # no repeated names
        return dict(pairs)

    @property
    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)

    @property
    def leg(self) -> str:
        """Which report of ours it is (the integration's `leg` query field)."""
        return self.query.get("leg", "")


type Reply = Callable[[Hit], Awaitable[web.Response] | web.Response]


class Home:
    """Answers every path; `replies` answer by `leg` (or path), else 200 <Response/>."""

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.replies: dict[str, Reply] = {}
        self.base = ""
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self.handle)

    def url(self, path: str = "/hook", **query: str) -> str:
        """Return an absolute URL on the stand-in."""
        text = "&".join(f"{name}={value}" for name, value in query.items())
        return f"{self.base}{path}{'?' + text if text else ''}"

    async def handle(self, request: web.Request) -> web.Response:
        hit = Hit(
            request.method,
            request.path,
            str(request.url),
            dict(request.query),
            dict(request.headers),
            await request.read(),
        )
        self.hits.append(hit)
        reply = self.replies.get(hit.leg) or self.replies.get(hit.path)
        if reply is None:
            return web.Response(text="<Response/>", content_type="text/xml")
        answer = reply(hit)
        return await answer if isinstance(answer, Awaitable) else answer

    def by(self, leg: str) -> list[Hit]:
        """Return the hits of one leg, oldest first."""
        return [hit for hit in self.hits if hit.leg == leg]

    async def wait_for(self, count: int, seconds: float = 3.0) -> None:
        """Wait until `count` requests arrived."""
        for _ in range(int(seconds / 0.005)):
            if len(self.hits) >= count:
                return
            await asyncio.sleep(0.005)
        raise AssertionError(f"expected {count} requests, got {self.hits}")

    async def quiet(self, seconds: float = 0.05) -> None:
        """Wait and check that nothing more arrives meanwhile."""
        count = len(self.hits)
        await asyncio.sleep(seconds)
        assert len(self.hits) == count, self.hits[count:]


async def start_home() -> tuple[Home, TestServer]:
    """Start a stand-in on a loopback port."""
    home = Home()
    server = TestServer(home.app, host="127.0.0.1")
    await server.start_server()
    home.base = str(server.make_url("")).rstrip("/")
    return home, server
