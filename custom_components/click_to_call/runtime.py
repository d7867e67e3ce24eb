"""What the integration keeps for all its accounts, whether loaded or not.

The webhooks answer for as long as their account exists, through reloads,
a set-up that waits for its provider, and start-up: they route each report
to the account's loaded coordinator, or hold it in the inbox until there is
one. A dial outlives a reload too: the calls whose answer has not come yet
are kept here, so that a report that beats the answer finds its call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from homeassistant.core import HomeAssistant, callback
from homeassistant.util.hass_dict import HassKey

from .calls import InFlight
from .const import DOMAIN
from .inbox import Inbox
from .providers.models import Callback


class ReportReceiver(Protocol):
    """A loaded account, as its webhook sees it."""

    def async_receive(self, report: Callback) -> tuple[str, str] | None:
        """Apply a report that reached the account's webhook; return the answer."""


@dataclass
class Runtime:
    """The integration's own state, shared by its accounts."""

    inbox: Inbox
    # Entry id -> its coordinator, while the entry is loaded.
    loaded: dict[str, ReportReceiver] = field(default_factory=dict)
    # Call id -> a call sent whose answer has not come yet.
    in_flight: dict[str, InFlight] = field(default_factory=dict)
    # Webhook ids registered (for as long as their entry exists).
    webhooks: set[str] = field(default_factory=set)
    # Entry id -> the settings the provider last took (checked at set-up),
    # and the entries setting up again for a new contact or option, which
    # need not ask again with the same settings.
    checked: dict[str, dict[str, Any]] = field(default_factory=dict)
    unchecked_reloads: set[str] = field(default_factory=set)


DATA: HassKey[Runtime] = HassKey(DOMAIN)


@callback
def async_runtime(hass: HomeAssistant) -> Runtime:
    """Return the integration's state (set up by `async_setup`)."""
    return hass.data[DATA]
