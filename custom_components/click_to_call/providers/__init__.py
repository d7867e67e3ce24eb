"""The registry of provider clients: each provider's module, loaded on first use.

Only the providers an instance uses are imported, so adding a provider costs
nothing to those who do not use it. Each provider module names its client
`CLIENT`.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any, Final

from .client import ProviderClient

# The provider ids, in the order the config flow's menu lists them.
PROVIDER_IDS: Final = (
    "telspiel",
    "telecmi",
    "ameyo",
    "voice_panel",
    "spokn",
    "twilio",
    "exotel",
)


def client_class(provider: str) -> type[ProviderClient[Any]]:
    """Return a provider's client class, importing its module if needed.

    Importing reads files: in Home Assistant, call it in the import executor.
    """
    if provider not in PROVIDER_IDS:
        raise KeyError(provider)
    # By its full name: Home Assistant's check of imports in the event loop
    # lets a module already loaded pass only when named as sys.modules has it.
    client: type[ProviderClient[Any]] = import_module(f"{__name__}.{provider}").CLIENT
    return client
