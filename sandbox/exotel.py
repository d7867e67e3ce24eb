"""Exotel's API, as its document describes it (to be written)."""

from __future__ import annotations

from aiohttp import web

from .core import Sandbox

TITLE = "Exotel"
REPORTS_TO_WEBHOOK = False
# How calls report back, shown on the sandbox page.
REPORTING = "Posts status callbacks to the URL sent with each call."
# The integration's API URL for the sandbox is the base URL + API_PATH.
API_PATH = "/exotel"


def routes(sandbox: Sandbox) -> list[web.RouteDef]:
    """Return the Exotel routes."""
    return []
