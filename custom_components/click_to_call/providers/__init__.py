"""Provider clients, by provider id."""

from __future__ import annotations

from typing import Final

from .base import ProviderClient
from .telecmi import TelecmiClient
from .telspiel import TelspielClient

PROVIDERS: Final[dict[str, type[ProviderClient]]] = {
    client.provider: client for client in (TelspielClient, TelecmiClient)
}
