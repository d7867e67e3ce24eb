"""Repair issues of an account: what keeps its calls from reporting back.

Raised and cleared by themselves: nothing here is fixed from the Repairs
dashboard, only by setting what the issue names.
"""

from __future__ import annotations

from datetime import datetime, timedelta
import time
from typing import Any, Final, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.event import async_track_time_interval

from .calls import CallRecord, CallTracker
from .const import DOMAIN
from .providers.client import ProviderClient
from .providers.models import CallStatus


class WatchedAccount(Protocol):
    """What the issues of an account need of it (the call coordinator)."""

    hass: HomeAssistant
    entry: ConfigEntry[Any]
    client: ProviderClient[Any]
    tracker: CallTracker
    on_internet: bool

    def ends_by(self, record: CallRecord) -> float:
        """Return when a call is over at the latest."""

    def async_refresh_webhook_url(self) -> None:
        """Learn the webhook's address again."""

    def async_check_open_calls(self, now: float) -> None:
        """Mark the calls open past their end."""


CHECK_INTERVAL: Final = timedelta(minutes=5)
# Calls in a row without a report before we say so: fewer where the provider
# reports every call soon after it is placed (Twilio, Exotel), judged once
# that time is past; else once each call is past its maximum duration.
OPEN_CALLS_IN_A_ROW: Final = 3
UNREPORTED_CALLS_IN_A_ROW: Final = 2
NETWORK_SETTINGS: Final = "https://my.home-assistant.io/redirect/network/"
# Home Assistant Cloud's connection signal (its module imports its client
# library, so the name is not imported for it).
SIGNAL_CLOUD_CONNECTION_STATE: Final = "CLOUD_CONNECTION_STATE"

# Where each reporting provider is told the webhook: its issue's text (a
# provider not listed gets the general one).
CALLS_STAY_OPEN: Final = {
    "telecmi": "calls_stay_open_telecmi",
    "spokn": "calls_stay_open_spokn",
    "twilio": "calls_stay_open_twilio",
    "exotel": "calls_stay_open_exotel",
}


class AccountIssues:
    """Raise and clear the repair issues of one account as things change."""

    def __init__(self, coordinator: WatchedAccount) -> None:
        """Watch an account that reports to its webhook (others need nothing)."""
        self._coordinator = coordinator
        self._hass = coordinator.hass
        entry_id = coordinator.entry.entry_id
        self.no_url_id = f"no_callback_url_{entry_id}"
        self.open_calls_id = f"calls_stay_open_{entry_id}"
        self._calls_stay_open = False

    @property
    def watched(self) -> bool:
        """Return whether the account's calls report to Home Assistant."""
        return self._coordinator.client.reports_to_webhook

    @callback
    def async_start(self) -> None:
        """Check now, then on each core configuration change and every 5 min.

        Only for an account whose calls report to its webhook.
        """
        if not self.watched:
            return
        entry = self._coordinator.entry
        self.async_check()
        entry.async_on_unload(
            self._hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, self._config_changed)
        )
        # Remote access coming up (or going) changes the address too.
        entry.async_on_unload(
            async_dispatcher_connect(
                self._hass, SIGNAL_CLOUD_CONNECTION_STATE, self._config_changed
            )
        )
        entry.async_on_unload(
            async_track_time_interval(self._hass, self._interval, CHECK_INTERVAL)
        )
        entry.async_on_unload(
            self._coordinator.tracker.async_add_listener(self._call_changed)
        )
        entry.async_on_unload(self.async_clear)

    @callback
    def async_check(self) -> None:
        """Check both: a URL for the provider, and calls that stayed open."""
        self.async_check_callback_url()
        self.async_check_open_calls(time.time())

    @callback
    def async_check_callback_url(self) -> None:
        """Say so while Home Assistant has no URL the provider can reach."""
        missing = not self._coordinator.on_internet
        self._set(self.no_url_id, missing, "no_callback_url", NETWORK_SETTINGS)

    @callback
    def async_check_open_calls(self, now: float) -> None:
        """Say so when the last calls all stayed open past their end."""
        in_a_row = self._in_a_row
        stuck = self._open_in_a_row(now, in_a_row)
        if stuck == self._calls_stay_open:
            return
        self._calls_stay_open = stuck
        # No webhook address in the text: the Repairs list is open to every
        # user, and the address is the webhook's credential.
        self._set(
            self.open_calls_id,
            stuck,
            CALLS_STAY_OPEN.get(self._coordinator.client.provider, "calls_stay_open"),
            count=str(in_a_row),
        )

    def _set(
        self,
        issue_id: str,
        raised: bool,
        translation_key: str,
        learn_more_url: str | None = None,
        **placeholders: str,
    ) -> None:
        """Raise an issue (a warning, fixed outside Repairs) or take it away."""
        if not raised:
            ir.async_delete_issue(self._hass, DOMAIN, issue_id)
            return
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            learn_more_url=learn_more_url,
            translation_key=translation_key,
            translation_placeholders={
                "title": self._coordinator.entry.title,
                "provider": self._coordinator.client.title,
                **placeholders,
            },
        )

    @property
    def _in_a_row(self) -> int:
        return (
            OPEN_CALLS_IN_A_ROW
            if self._coordinator.client.first_report_within is None
            else UNREPORTED_CALLS_IN_A_ROW
        )

    def _judged_at(self, record: CallRecord) -> float:
        """Return when a call with no report says reports do not come."""
        within = self._coordinator.client.first_report_within
        if within is None:
            return self._coordinator.ends_by(record)
        return record.created + within

    def _open_in_a_row(self, now: float, in_a_row: int) -> bool:
        """Return whether the newest calls that can be judged had no report.

        Any report about a call shows the webhook works; a call whose dial's
        answer was lost may never have been placed, and is not judged.
        """
        judged = 0
        for record in self._coordinator.tracker.newest_first():
            if record.status is CallStatus.UNCONFIRMED:
                continue
            if record.status is not CallStatus.INITIATED or record.last_report:
                return False
            if now >= self._judged_at(record):
                judged += 1
                if judged == in_a_row:
                    return True
        return False

    @callback
    def async_clear(self) -> None:
        """Take the account's issues away (on unload; set-up checks again)."""
        ir.async_delete_issue(self._hass, DOMAIN, self.no_url_id)
        ir.async_delete_issue(self._hass, DOMAIN, self.open_calls_id)
        self._calls_stay_open = False

    @callback
    def _config_changed(self, _event: Event | object) -> None:
        self._coordinator.async_refresh_webhook_url()
        self.async_check_callback_url()

    @callback
    def _interval(self, now: datetime) -> None:
        self._coordinator.async_refresh_webhook_url()
        self.async_check_callback_url()
        self._coordinator.async_check_open_calls(now.timestamp())
        self.async_check_open_calls(now.timestamp())

    @callback
    def _call_changed(self, record: CallRecord, status_changed: bool) -> None:
        # A report arrived: the webhook works. Only worth a look when we said
        # it did not.
        if self._calls_stay_open and record.last_report:
            self.async_check_open_calls(time.time())
