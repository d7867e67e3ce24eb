"""One call coordinator per entry: every call is placed and followed here.

It owns the provider client, the tracker, the guard and the follow-ups (slow
answers, polling). The action, the buttons and voice all dial through
`async_dial`; every later status, from a callback, a poll or a slow answer,
is one `CallUpdate` given to `async_apply`; and it is the one place that asks
for new credentials.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
import time
from typing import Any, Final, NoReturn

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryError,
    ConfigEntryNotReady,
)
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_call_later
from homeassistant.util.ulid import ulid_now

from .calls import DEFAULT_CALL_LIMIT, CallRecord, CallTracker
from .const import (
    ATTR_FROM,
    ATTR_MAX_DURATION,
    ATTR_REFERENCE,
    ATTR_TO,
    CONF_DEFAULT_MAX_DURATION,
    CONF_DETECT_VOICEMAIL,
    CONF_MAX_CALLS_PER_HOUR,
    CONF_NUMBER_FORMAT,
    CONF_PROVIDER,
    CONF_REPEAT_INTERVAL,
    CONF_VERIFY_SSL,
    CONF_WEBHOOK_ID,
    DEFAULT_MAX_CALLS_PER_HOUR,
    DEFAULT_REPEAT_INTERVAL,
    DOMAIN,
    LOGGER,
    MAX_MESSAGE,
    NUMBER_FORMAT_PROVIDER,
)
from .contacts import Contact, contacts_of
from .devices import account_device
from .errors import DialRefused, Refusal, provider_error, provider_placeholders
from .guard import CallGuard
from .issues import AccountIssues
from .outcome import async_await_answer, async_poll
from .phone import account_title, settings_as_sent
from .providers import client_class
from .providers.client import ProviderClient
from .providers.errors import (
    AnswerLostError,
    AuthenticationError,
    CallbackError,
    InvalidRequestError,
    NotSentError,
    ProviderError,
)
from .providers.generic import parse_generic_callback
from .providers.models import (
    Announcement,
    AnsweredBy,
    Callback,
    CallKind,
    CallReason,
    CallStatus,
    CallUpdate,
    DialRequest,
    DialResult,
    Outcome,
)
from .request import Numbers, build_announcement, build_request
from .runtime import async_runtime
from .storage import CallStore, stored
from .urls import async_webhook_url, callback_url, has_callback_key, internet_url

type ClickToCallConfigEntry = ConfigEntry[CallCoordinator]

UNEXPECTED = "An unexpected error ended following the call (see the log)"
# Time for the last report of a call that ended at its maximum duration.
REPORT_GRACE: Final = 120
# Without an address on the internet, a dial looks for one again at most this
# often (seconds): one may have come up with no event to say so.
OFFLINE_RELEARN: Final = 5.0
# Our callback URLs name the call in this query field (Twilio's signature
# covers the URL the call was placed with).
CALL_QUERY: Final = "call"


async def async_client_class(
    hass: HomeAssistant, provider: str
) -> type[ProviderClient[Any]]:
    """Return a provider's client class, its module imported off the event loop."""
    return await hass.async_add_import_executor_job(client_class, provider)


class CallCoordinator:
    """Places, follows and records the calls of one entry."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ClickToCallConfigEntry,
        client: ProviderClient[Any],
        store: CallStore,
        records: list[CallRecord],
        sent: list[tuple[float, str]] | None,
    ) -> None:
        """Start from what the calls file held."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self._store = store
        self._runtime = async_runtime(hass)
        self.tracker = CallTracker(
            hass,
            entry.entry_id,
            records,
            self._async_changed,
            self._runtime.in_flight,
        )
        # Files from before the guard kept its own count: the calls tell it.
        self.guard = CallGuard(
            sent if sent is not None else ((r.created, r.to) for r in records)
        )
        self._timers: set[CALLBACK_TYPE] = set()
        # The webhook's address as providers are given it, learned again by
        # the account's checks (set-up, network changes, every 5 minutes)
        # rather than at each dial and callback.
        self.webhook_url = ""
        self.on_internet = False
        self.async_refresh_webhook_url()
        self.issues = AccountIssues(self)
        # Whether the last poll of the provider failed (logged once each way).
        self._poll_failing = False
        self.contacts = contacts_of(entry.subentries)
        # The account's device, parent of its contacts' devices.
        self.device_id = (
            dr.async_get(hass)
            .async_get_or_create(
                config_entry_id=entry.entry_id,
                **account_device(entry.entry_id, entry.title, client.title),
            )
            .id
        )

    @classmethod
    async def async_create(
        cls, hass: HomeAssistant, entry: ClickToCallConfigEntry
    ) -> CallCoordinator:
        """Build the entry's client and read its calls file."""
        session = async_get_clientsession(
            hass, verify_ssl=entry.data.get(CONF_VERIFY_SSL, True)
        )
        provider = await async_client_class(hass, entry.data[CONF_PROVIDER])
        _async_retitle(hass, entry, provider)
        client = provider.from_data(
            session, settings_as_sent(provider, entry.data, hass.config.country)
        )
        store = CallStore(hass, entry.entry_id)
        loaded = await store.async_load()
        return cls(hass, entry, client, store, loaded.records, loaded.sent)

    async def async_check_account(self) -> None:
        """Ask the provider whether it still takes the account (no call).

        The config flow's own probe. Refused credentials start
        reauthentication; an unreachable provider is tried again later; a
        refused setting needs the account reconfigured.
        """
        if not self.client.checks_credentials:
            LOGGER.debug(
                "%s: %s cannot check its credentials without placing a call; "
                "the first call will tell",
                self.entry.title,
                self.client.title,
            )
            return
        settings = dict(self.entry.data)
        entry_id = self.entry.entry_id
        if (
            entry_id in self._runtime.unchecked_reloads
            and self._runtime.checked.get(entry_id) == settings
        ):
            self._runtime.unchecked_reloads.discard(entry_id)
            return  # set up again for a contact or an option: taken already
        self._runtime.unchecked_reloads.discard(entry_id)
        self._runtime.checked.pop(entry_id, None)
        try:
            self.client.check_settings()
            await self.client.async_check_credentials()
        except AuthenticationError as err:
            raise ConfigEntryAuthFailed(
                **self._setup_error("setup_auth_failed", err)
            ) from err
        except InvalidRequestError as err:
            raise ConfigEntryError(**self._setup_error("setup_refused", err)) from err
        except ProviderError as err:
            raise ConfigEntryNotReady(
                **self._setup_error("setup_unavailable", err)
            ) from err
        self._runtime.checked[self.entry.entry_id] = settings

    def _setup_error(self, key: str, err: ProviderError) -> dict[str, Any]:
        return {
            "translation_domain": DOMAIN,
            "translation_key": key,
            "translation_placeholders": {
                **provider_placeholders(self.client.title, err),
                "title": self.entry.title,
            },
        }

    async def async_dial(
        self, data: Mapping[str, Any], contact: Contact | None = None
    ) -> CallRecord:
        """Check, place and track one call; every attempt shows on the entities.

        `data` holds the action's fields; a contact gives those left out.
        Raises ServiceValidationError for an attempt refused before anything
        was sent, HomeAssistantError for one the provider refused or failed.
        A dial whose answer was lost returns, `unconfirmed`: it may ring.
        """
        return await self._async_place(data, contact, None)

    async def async_announce(
        self, data: Mapping[str, Any], contact: Contact | None = None
    ) -> CallRecord:
        """Place an announce call: the message spoken, a digit asked for.

        The same path as a dial (guard, tracker, storage, webhook); refused
        before anything is sent where the provider cannot announce.
        """
        return await self._async_place(
            data,
            contact,
            build_announcement(
                data, self.hass.config.language, self.hass.config.country
            ),
        )

    async def _async_place(
        self,
        data: Mapping[str, Any],
        contact: Contact | None,
        announcement: Announcement | None,
    ) -> CallRecord:
        if contact is not None:
            data = contact.dial_fields(data)
        record = CallRecord(
            call_id=ulid_now(),
            provider=self.client.provider,
            to=data[ATTR_TO],
            from_=data.get(ATTR_FROM),
            reference=data.get(ATTR_REFERENCE),
            status=CallStatus.REJECTED,
            created=time.time(),  # as dt_util.utcnow(), a microsecond cheaper
            max_duration=data.get(ATTR_MAX_DURATION)
            or self.entry.options.get(CONF_DEFAULT_MAX_DURATION),
            contact=None if contact is None else contact.name,
            contact_id=None if contact is None else contact.subentry_id,
            kind=CallKind.DIAL if announcement is None else CallKind.ANNOUNCE,
            announcement=announcement,
        )
        request = self._checked_request(data, record)
        record.webhook_url = self.webhook_url if request.callback_url else None
        self.tracker.async_sending(record)
        if self.client.outcome is Outcome.SLOW_ANSWER:
            # The answer is the outcome, which may take minutes: it comes later.
            self._async_sent(record, DialResult(), request)
            return record
        try:
            result = await self._async_send(record, request)
        except asyncio.CancelledError:
            # Whoever asked stopped waiting; the request may be out already.
            self._async_sent(record, _lost(record, "the dial was cancelled"))
            raise
        self._async_sent(record, result)
        return record

    def _checked_request(
        self, data: Mapping[str, Any], record: CallRecord
    ) -> DialRequest:
        """Build the request and pass it by the provider's limits and the guard.

        Refuses (raises) before anything is sent; the guard counts the call.
        """
        try:
            if record.announcement is not None:
                self._check_announcement(record.announcement)
            request = build_request(
                Numbers(
                    self.client,
                    self.hass.config.country,
                    self.entry.options.get(CONF_NUMBER_FORMAT, NUMBER_FORMAT_PROVIDER),
                ),
                data,
                record,
                self._callback_url(),
                record.announcement,
                detect_machine=self.client.detects_machines
                and self.entry.options.get(CONF_DETECT_VOICEMAIL, True),
            )
            self.client.validate(request)
            self.guard.check_and_record(
                record.to,
                record.created,
                self.entry.options.get(
                    CONF_MAX_CALLS_PER_HOUR, DEFAULT_MAX_CALLS_PER_HOUR
                ),
                self.entry.options.get(CONF_REPEAT_INTERVAL, DEFAULT_REPEAT_INTERVAL),
            )
        except (DialRefused, NotSentError) as err:
            self._refuse(record, err)
        # The guard counted the call: recording it saves both.
        return request

    def _check_announcement(self, announcement: Announcement) -> None:
        """Refuse an announce call the provider cannot place, or its message."""
        if not self.client.announces:
            raise DialRefused(
                Refusal(self.client.announce_refusal), provider=self.client.title
            )
        if not 0 < len(announcement.message) <= MAX_MESSAGE:
            raise DialRefused(Refusal.MESSAGE_TOO_LONG, limit=str(MAX_MESSAGE))

    async def _async_send(self, record: CallRecord, request: DialRequest) -> DialResult:
        """Send the dial; a call the provider failed is recorded, then raised.

        A dial whose answer was lost is not an error: it may be ringing. It is
        `unconfirmed` until a report tells, or its maximum duration passes.
        """
        try:
            return await self.client.async_dial(request)
        except AnswerLostError as err:
            LOGGER.warning(
                "%s: the answer to a call was lost (%s); it may be ringing, "
                "and it is not placed again",
                self.entry.title,
                err.message,
            )
            return _lost(record, err.message)
        except NotSentError as err:
            self._async_changed()  # the guard counted it
            self._refuse(record, err)
        except ProviderError as err:
            self._async_failed(record, err, err.message)
            raise provider_error(self.client.title, err) from err
        except Exception as err:
            LOGGER.exception(
                "Unexpected error placing a call with %s", self.entry.title
            )
            failure = ProviderError(type(err).__name__)
            self._async_failed(record, failure, UNEXPECTED)
            raise provider_error(self.client.title, failure) from err

    @callback
    def _async_failed(self, record: CallRecord, err: ProviderError, error: str) -> None:
        """Record a call sent that the provider refused or failed."""
        record.error = error
        self._async_sent(record, DialResult(err.status))
        self.async_provider_failed(err)

    def _refuse(self, record: CallRecord, err: DialRefused | NotSentError) -> NoReturn:
        """Announce an attempt refused before anything was sent, and raise."""
        error = (
            err.as_service_error()
            if isinstance(err, DialRefused)
            else provider_error(self.client.title, err)
        )
        record.error = str(error)
        self._current().tracker.async_announce_refusal(record)
        raise error from err

    @callback
    def _async_sent(
        self,
        record: CallRecord,
        result: DialResult,
        request: DialRequest | None = None,
    ) -> None:
        """Record a call sent to the provider, and follow what becomes of it."""
        record.status = result.status
        record.provider_call_id = result.provider_call_id
        # A reload while the provider answered: the new coordinator keeps it.
        coordinator = self._current()
        coordinator.tracker.async_add(record)
        if not coordinator.tracker.closed:
            coordinator._async_follow(record, request)

    @callback
    def _async_follow(
        self, record: CallRecord, request: DialRequest | None = None
    ) -> None:
        """Follow an open call: after its dial, or after a restart (no request).

        The one place that matches how a provider tells outcomes.
        """
        match self.client.outcome:
            case _ if record.status.is_final:
                pass
            case Outcome.POLL:
                # Polled by our own id: an unconfirmed call too.
                async_poll(self, record)
            case _ if record.status is CallStatus.UNCONFIRMED:
                self._async_expire_unconfirmed(record)
            case Outcome.SLOW_ANSWER if request is not None:
                async_await_answer(self, request)
            case Outcome.SLOW_ANSWER if record.status is CallStatus.INITIATED:
                # The connection that would have carried the answer is gone,
                # and with it the outcome: unknown, not failed.
                self.tracker.async_mark(record, CallReason.INTERRUPTED)
            case Outcome.WEBHOOK if time.time() > self.ends_by(record):
                # Open past its end: what reported it was lost.
                self.tracker.async_mark(record, CallReason.NO_REPORT)
            case _:
                pass  # Reports come by themselves; some providers tell nothing.

    def ends_by(self, record: CallRecord) -> float:
        """Return when a call is over at the latest, with time for its last report."""
        limit = (
            record.max_duration or self.client.max_duration_limit or DEFAULT_CALL_LIMIT
        )
        return record.created + limit + REPORT_GRACE

    @callback
    def _async_expire_unconfirmed(self, record: CallRecord) -> None:
        """End an unconfirmed call `failed` once it is over at the latest."""

        @callback
        def expire() -> None:
            if record.status is CallStatus.UNCONFIRMED:
                self.async_apply(
                    CallUpdate(
                        CallStatus.FAILED,
                        call_id=record.call_id,
                        reason=CallReason.NO_REPORT,
                    )
                )

        self.async_schedule(max(self.ends_by(record) - time.time(), 0), expire)

    def _current(self) -> CallCoordinator:
        entry = self.entry
        return entry.runtime_data if entry.state is ConfigEntryState.LOADED else self

    @callback
    def async_apply(self, update: CallUpdate) -> CallRecord | None:
        """Apply a status report from a callback, a poll or a slow answer."""
        return self.tracker.async_apply(update)

    def _callback_url(self) -> str | None:
        """Return where the provider reports this call, if it is told."""
        if (
            self.client.outcome is Outcome.WEBHOOK
            and not self.on_internet
            and time.monotonic() - self._url_learned_at > OFFLINE_RELEARN
        ):
            # An address may have come up with no event to say so (remote
            # access connecting): a call must not leave without one that
            # exists. (Asked at most every few seconds: it costs a dial.)
            self.async_refresh_webhook_url()
        return callback_url(self.client, self.webhook_url, self.entry.data)

    @callback
    def async_receive(self, report: Callback) -> tuple[str, str] | None:
        """Check and apply a report that reached the account's webhook.

        Returns what to answer the provider (body, content type), where it
        expects something. Anything unusable, unsigned or forged is ignored,
        with one debug line.
        """
        title = self.entry.title
        if self.client.callback_key and not has_callback_key(
            report.query, self.entry.data
        ):
            LOGGER.debug("Ignored a report to %s: no or wrong key", title)
            return self.client.callback_reply
        report = report.received_at(self._webhook_url_of(report))
        try:
            update = self.client.parse_callback(report) or parse_generic_callback(
                report.body
            )
        except CallbackError as err:
            LOGGER.debug("Ignored a report to %s: %s", title, err)
            return self.client.callback_reply
        if (record := self.async_apply(update)) is None:
            LOGGER.debug(
                "A report to %s (%s) is not news: %s",
                title,
                update.status,
                self.tracker.ignored,
            )
            return self.client.callback_reply
        if (
            record.kind is CallKind.ANNOUNCE
            and record.status is CallStatus.VOICEMAIL
            and update.answered_by is AnsweredBy.MACHINE
        ):
            self._async_machine_answered(record)
        return self.client.answer_to(update, record.announcement)

    @callback
    def _async_machine_answered(self, record: CallRecord) -> None:
        """Hang up on a machine, or leave the message after its beep."""
        announcement = record.announcement
        if announcement is None or record.provider_call_id is None:
            return

        async def follow() -> None:
            try:
                await self.client.async_machine_answered(
                    record.provider_call_id or "", announcement
                )
            except ProviderError as err:
                LOGGER.warning(
                    "%s: a machine answered call %s, and %s was not told what "
                    "to do (%s)",
                    self.entry.title,
                    record.call_id,
                    self.client.title,
                    err.message,
                )

        self.async_run(record.call_id, follow(), "machine")

    def _webhook_url_of(self, report: Callback) -> str:
        """Return the webhook URL as the provider was given it for the call.

        The URL a call was placed with, where the report names a call placed
        here (a signature covers it); else the current one.
        """
        call_id = report.query.get(CALL_QUERY)
        record = None if call_id is None else self.tracker.sent(call_id)
        if record is not None and record.webhook_url is not None:
            return record.webhook_url
        return self.webhook_url

    @callback
    def async_provider_failed(self, err: ProviderError) -> None:
        """Ask for new credentials when the provider refused them."""
        if isinstance(err, AuthenticationError):
            self.entry.async_start_reauth(self.hass)

    @callback
    def async_refresh_webhook_url(self) -> None:
        """Learn the webhook's address again: Home Assistant's may have changed."""
        self.webhook_url = async_webhook_url(
            self.hass, self.entry.data[CONF_WEBHOOK_ID]
        )
        self.on_internet = internet_url(self.hass) is not None
        self._url_learned_at = time.monotonic()

    @callback
    def async_polled(self, error: str | None) -> None:
        """Log once when polling the provider starts failing, once when it works."""
        if error is not None and not self._poll_failing:
            LOGGER.warning(
                "%s: asking %s about calls failed (%s); calls wait at their "
                "last status until it answers again",
                self.entry.title,
                self.client.title,
                error,
            )
        elif error is None and self._poll_failing:
            LOGGER.info(
                "%s: %s answers about calls again", self.entry.title, self.client.title
            )
        self._poll_failing = error is not None

    @callback
    def async_resume(self) -> None:
        """After a restart or reload, pick up the calls still open.

        Then take the reports that came while the account was not loaded.
        """
        for record in list(self.tracker):
            self._async_follow(record)
        self.async_resume_receiving()

    @callback
    def async_resume_receiving(self) -> None:
        """Take the account's reports: those held first, then as they come."""
        self._runtime.loaded[self.entry.entry_id] = self
        for report in self._runtime.inbox.async_take(self.entry.entry_id):
            self.async_receive(report)

    @callback
    def async_check_open_calls(self, now: float) -> None:
        """Say of each call open past its end that its reports were lost."""
        if self.client.outcome is not Outcome.WEBHOOK:
            return
        for record in list(self.tracker):
            if (
                not record.status.is_final
                and record.status is not CallStatus.UNCONFIRMED
                and now > self.ends_by(record)
            ):
                self.tracker.async_mark(record, CallReason.NO_REPORT)

    @callback
    def async_run(
        self, call_id: str, job: Coroutine[Any, Any, None], name: str
    ) -> asyncio.Task[None]:
        """Run a follow-up of a call as the entry's background task.

        Should it fail in a way nobody foresaw, the call ends `failed` rather
        than staying open.
        """

        async def guarded() -> None:
            try:
                await job
            except Exception:  # noqa: BLE001 - the net under a background task; logged
                LOGGER.exception("Unexpected error following call %s", call_id)
                self.async_apply(
                    CallUpdate(CallStatus.FAILED, call_id=call_id, error=UNEXPECTED)
                )

        return self.entry.async_create_background_task(
            self.hass, guarded(), f"{DOMAIN} {name} of {call_id}"
        )

    @callback
    def async_schedule(self, delay: float, action: Callable[[], None]) -> CALLBACK_TYPE:
        """Run `action` after `delay` seconds of Home Assistant's clock.

        Returns a function that cancels it; unloading the entry cancels it too.
        """

        @callback
        def fire(_now: Any) -> None:
            self._timers.discard(cancel)
            action()

        cancel = async_call_later(self.hass, delay, fire)
        self._timers.add(cancel)

        def cancel_and_forget() -> None:
            if cancel in self._timers:
                self._timers.discard(cancel)
                cancel()

        return cancel_and_forget

    @callback
    def _async_changed(self) -> None:
        self._store.async_schedule_save(self._stored)

    def _stored(self) -> dict[str, Any]:
        return stored(list(self.tracker), self.guard.sent)

    @callback
    def async_stop_receiving(self) -> None:
        """Hold the account's reports from now on (its unload begins)."""
        loaded: object = self._runtime.loaded.get(self.entry.entry_id)
        if loaded is self:
            del self._runtime.loaded[self.entry.entry_id]

    async def async_shutdown(self) -> None:
        """Stop following calls and write the calls file (on unload)."""
        self.async_stop_receiving()
        for cancel in list(self._timers):
            cancel()
        self._timers.clear()
        self.tracker.async_close()
        await self._store.async_save(self._stored())


@callback
def _async_retitle(
    hass: HomeAssistant,
    entry: ClickToCallConfigEntry,
    provider: type[ProviderClient[Any]],
) -> None:
    """Name an account set up by an older version as a person knows it.

    Only a title that is still the old default (a Twilio Account SID): one
    the user chose stays.
    """
    config = provider.config_class.from_data(entry.data)
    old_default = f"{provider.title} {provider.account_of(config)}"
    if (
        entry.title == old_default
        and (title := account_title(provider, config)) != old_default
    ):
        hass.config_entries.async_update_entry(entry, title=title)


def _lost(record: CallRecord, error: str) -> DialResult:
    """Record that the dial's answer was lost: the call may be ringing."""
    record.error = error
    record.reason = CallReason.ANSWER_LOST
    return DialResult(CallStatus.UNCONFIRMED)
