"""Fixtures for the sandbox's own tests, which run without Home Assistant."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import aiohttp
import pytest

from tests.sandbox.home import Home, start_home


@pytest.fixture
async def session() -> AsyncGenerator[aiohttp.ClientSession]:
    """A plain aiohttp session."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def home(socket_enabled: None) -> AsyncGenerator[Home]:
    """A stand-in for Home Assistant's webhook, on a loopback port."""
    stand_in, server = await start_home()
    yield stand_in
    await server.close()
