"""Finish Home Assistant's onboarding for scripts/develop: user dev / dev.

Removes the integrations onboarding adds by itself.

Uses the onboarding HTTP API that the frontend itself calls; a no-op when
onboarding is already done.
"""

from __future__ import annotations

import asyncio
import sys

import aiohttp

CLIENT_ID = "http://localhost:8123/"


async def onboard(base: str) -> None:
    """Wait for Home Assistant, then create the user and finish every step."""
    async with aiohttp.ClientSession(base_url=base) as session:
        for _ in range(600):
            try:
                async with session.get("/api/onboarding") as answer:
                    if answer.status == 200:
                        steps = await answer.json()
                        break
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.5)
        else:
            sys.exit("Home Assistant did not start within 5 minutes")
        if all(step["done"] for step in steps):
            return
        async with session.post(
            "/api/onboarding/users",
            json={
                "client_id": CLIENT_ID,
                "name": "Developer",
                "username": "dev",
                "password": "dev",
                "language": "en",
            },
        ) as answer:
            code = (await answer.json())["auth_code"]
        async with session.post(
            "/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": CLIENT_ID,
            },
        ) as answer:
            token = (await answer.json())["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for step, body in (
            ("core_config", {}),
            ("analytics", {}),
            ("integration", {"client_id": CLIENT_ID, "redirect_uri": CLIENT_ID}),
        ):
            async with session.post(
                f"/api/onboarding/{step}", json=body, headers=headers
            ) as answer:
                answer.raise_for_status()
        # Onboarding adds integrations that need the internet (weather, radio);
        # this machine has none, and they would only fill the log with errors.
        async with session.get(
            "/api/config/config_entries/entry", headers=headers
        ) as answer:
            entries = await answer.json()
        for entry in entries:
            async with session.delete(
                f"/api/config/config_entries/entry/{entry['entry_id']}", headers=headers
            ) as answer:
                answer.raise_for_status()


if __name__ == "__main__":
    asyncio.run(onboard(sys.argv[1]))
