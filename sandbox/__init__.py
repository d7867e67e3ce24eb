"""A local stand-in for the click-to-call providers' HTTP APIs.

It implements each provider's documented API (credential checks, validation
errors, success), logs every request, can answer with queued canned answers,
and posts call statuses back to Home Assistant's webhook. Tests run it on a
random loopback port; `python -m sandbox` runs it for a person.
"""

from __future__ import annotations

from aiohttp import web

from . import control, telecmi, telspiel
from .core import Canned, Received, Sandbox

__all__ = ["DEFAULT_ACCOUNTS", "Canned", "Received", "Sandbox", "create_app"]

# The credentials the sandbox accepts unless told otherwise.
DEFAULT_ACCOUNTS: dict[str, dict[str, str]] = {
    "telspiel": {"username": "demo", "api_key": "demo-api-key"},
    "telecmi": {"user_id": "101_1111112", "secret": "2e0d75-d843-45-945-4171dd7a"},
}

SANDBOX_KEY = web.AppKey("sandbox", Sandbox)


def create_app(sandbox: Sandbox | None = None) -> web.Application:
    """Build the sandbox's aiohttp application."""
    sandbox = sandbox or Sandbox(
        accounts={name: dict(account) for name, account in DEFAULT_ACCOUNTS.items()}
    )
    app = web.Application()
    app[SANDBOX_KEY] = sandbox
    for provider in (telspiel, telecmi):
        sandbox.api_paths[provider.__name__.rsplit(".", 1)[1]] = provider.PATH
        app.add_routes(provider.routes(sandbox))
    app.add_routes(control.routes(sandbox))
    app.on_cleanup.append(sandbox.close)
    return app
