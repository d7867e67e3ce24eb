"""The sandbox's TeleCMI API, over real HTTP on loopback."""

from __future__ import annotations

import aiohttp

from tests.conftest import SandboxServer


async def test_telecmi_refuses_a_wrong_secret(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    body = {"user_id": "101_1111112", "secret": "wrong", "to": 919876543210}
    async with session.post(
        sandbox.url("/telecmi/v2/webrtc/click2call"), json=body
    ) as answer:
        assert answer.status == 404
        assert await answer.json() == {
            "code": 404,
            "msg": "Failed to authenticate secret",
        }
