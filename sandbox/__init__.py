"""A local stand-in for the click-to-call providers' HTTP APIs.

It implements each provider's documented API (credential checks, validation
errors, success), logs every request, can answer with queued canned answers,
and plays calls out: statuses posted to Home Assistant's webhook (telSpiel,
TeleCMI), Spokn's leg callbacks, the voice panel's reports and Ameyo's answer.
Announce calls (Twilio, TeleCMI) play out by `Sandbox.announce_outcome`; a
digit is pressed by hand with `Sandbox.press`. Tests run it on a random
loopback port; `python -m sandbox` runs it for a person.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from aiohttp import web

from . import (
    ameyo,
    control,
    exotel,
    spokn,
    state,
    telecmi,
    telspiel,
    twilio,
    voice_panel,
)
from .core import Canned, Received, Sandbox

__all__ = [
    "DEFAULT_ACCOUNTS",
    "PROVIDERS",
    "Canned",
    "Received",
    "Sandbox",
    "create_app",
]

# The credentials the sandbox accepts unless told otherwise.
DEFAULT_ACCOUNTS: dict[str, dict[str, str]] = {
    "telspiel": {"username": "demo", "api_key": "demo-api-key"},
    "telecmi": {"user_id": "101_1111112", "secret": "2e0d75-d843-45-945-4171dd7a"},
    "ameyo": {
        "hash_key": "demo-hash-key",
        "requesting_host": "homeassistant",
        "policy_name": "demo-policy",
        "campaign_id": "42",
        "user_id": "agent1",
    },
    "voice_panel": {"uid": "demo-uid", "pin": "1234"},
    "spokn": {"username": "demo", "password": "demo-password", "enterprise": "true"},
    "twilio": {
        "account_sid": "AC00000000000000000000000000000001",
        "auth_token": "demo-auth-token",
        "from_number": "+14155550100",
        # "Full", or "Trial": a trial account calls only its verified numbers.
        "type": "Full",
        "verified": "+14155550101",
    },
    "exotel": {
        "account_sid": "demo-sid",
        "api_key": "demo-api-key",
        "api_token": "demo-api-token",
        "caller_id": "08047110000",
    },
}

# Provider id -> its module: TITLE, API_PATH (what a user types as the API
# URL's path, after the sandbox's base URL), REPORTS_TO_WEBHOOK (or REPORTING,
# how its calls report back) and routes(sandbox).
PROVIDERS = {
    "telspiel": telspiel,
    "telecmi": telecmi,
    "ameyo": ameyo,
    "voice_panel": voice_panel,
    "spokn": spokn,
    "twilio": twilio,
    "exotel": exotel,
}

SANDBOX_KEY = web.AppKey("sandbox", Sandbox)


def create_app(
    sandbox: Sandbox | None = None, state_file: Path | None = None
) -> web.Application:
    """Build the sandbox's aiohttp application.

    With `state_file`, the webhook URLs and settings of the page are read from
    it and written to it on each change (see sandbox.state).
    """
    sandbox = sandbox or Sandbox(
        accounts={name: dict(account) for name, account in DEFAULT_ACCOUNTS.items()}
    )
    app = web.Application()
    app[SANDBOX_KEY] = sandbox
    for name, provider in PROVIDERS.items():
        sandbox.api_paths[name] = provider.API_PATH
        app.add_routes(provider.routes(sandbox))
    if state_file is None:
        app.add_routes(control.routes(sandbox, PROVIDERS))
    else:
        webhook_providers = [
            name for name, provider in PROVIDERS.items() if provider.REPORTS_TO_WEBHOOK
        ]
        state.load(sandbox, state_file, webhook_providers)
        app.add_routes(
            control.routes(sandbox, PROVIDERS, partial(state.save, sandbox, state_file))
        )
    app.on_cleanup.append(sandbox.close)
    return app
