"""Fixtures for the provider clients, which run without Home Assistant."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import aiohttp
import pytest

from custom_components.click_to_call.providers import http


@pytest.fixture
async def session() -> AsyncGenerator[aiohttp.ClientSession]:
    """A plain aiohttp session, as Home Assistant injects its shared one."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def fast_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shorten the request timeout and the reconnect delay."""
    monkeypatch.setattr(http, "REQUEST_TIMEOUT", aiohttp.ClientTimeout(total=0.3))
    monkeypatch.setattr(http, "CONNECT_RETRY_DELAY", 0.05)
