"""The calls file of one entry: its calls and the calls the guard counts.

Whatever is on disk, the entry sets up: a file that cannot be read starts
empty, a record that is not a call is dropped with one warning, and the rest
loads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import math
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.storage import Store

from .calls import CallRecord
from .const import DOMAIN, LOGGER
from .providers.models import (
    Announcement,
    AnsweredBy,
    CallKind,
    CallReason,
    CallStatus,
    Voicemail,
)

STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 5


@dataclass(slots=True)
class StoredCalls:
    """What the calls file held."""

    records: list[CallRecord]
    # The calls the guard counted; None in files written before it kept them.
    sent: list[tuple[float, str]] | None


class LenientStore(Store[Any]):
    """Home Assistant's store, reading a file of any version as it is.

    A file written by a newer version (after a downgrade) is read too: each
    reader checks every item on its own and takes what it can.
    """

    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: Any
    ) -> Any:
        # Each record is checked on its own: take what can be read.
        return old_data


class CallStore:
    """Load and save one entry's calls."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Name the entry's file; nothing is read yet."""
        self._entry_id = entry_id
        self._store = LenientStore(
            hass, STORAGE_VERSION, f"{DOMAIN}.calls.{entry_id}", private=True
        )
        self._save_scheduled = False

    async def async_load(self) -> StoredCalls:
        """Read the file; anything unreadable is left out, with a warning."""
        try:
            data: Any = await self._store.async_load()
        except (HomeAssistantError, KeyError, TypeError, ValueError) as err:
            LOGGER.warning(
                "The stored calls of %s cannot be read (%s); starting without them",
                self._entry_id,
                type(err).__name__,
            )
            return StoredCalls([], None)
        if not isinstance(data, dict):
            if data is not None:
                LOGGER.warning(
                    "The stored calls of %s are not a mapping; starting without them",
                    self._entry_id,
                )
            return StoredCalls([], None)
        records = [
            record
            for item in _list(data.get("calls"))
            if (record := self._record(item)) is not None
        ]
        sent = data.get("sent")
        return StoredCalls(
            records, None if sent is None else [*filter(None, map(_sent, _list(sent)))]
        )

    def _record(self, item: Any) -> CallRecord | None:
        try:
            return record_from_stored(item)
        except (KeyError, TypeError, ValueError) as err:
            LOGGER.warning(
                "Dropped a stored call of %s that cannot be read: %s",
                self._entry_id,
                err,
            )
            return None

    @callback
    def async_schedule_save(self, data: Callable[[], dict[str, Any]]) -> None:
        """Write at most SAVE_DELAY after the first unsaved change.

        (Store's own delay restarts on every call: under steady load it would
        never write.)
        """
        if self._save_scheduled:
            return
        self._save_scheduled = True

        def written() -> dict[str, Any]:
            self._save_scheduled = False
            return data()

        self._store.async_delay_save(written, SAVE_DELAY)

    async def async_save(self, data: dict[str, Any]) -> None:
        """Write now (on unload)."""
        await self._store.async_save(data)

    async def async_remove(self) -> None:
        """Delete the file when the entry is removed."""
        await self._store.async_remove()


def stored(records: list[CallRecord], sent: list[tuple[float, str]]) -> dict[str, Any]:
    """Return what the file holds."""
    return {"calls": [record_to_stored(record) for record in records], "sent": sent}


def record_to_stored(record: CallRecord) -> dict[str, Any]:
    """Return a record as stored.

    Spelled out: dataclasses.asdict deep-copies field by field, about ten
    times slower, and up to 1,100 records are written at a time.
    """
    return {
        "call_id": record.call_id,
        "provider": record.provider,
        "to": record.to,
        "from_": record.from_,
        "reference": record.reference,
        "status": record.status.value,
        "created": record.created,
        "provider_call_id": record.provider_call_id,
        "duration": record.duration,
        "error": record.error,
        "max_duration": record.max_duration,
        "attributes": dict(record.attributes),
        "contact": record.contact,
        "contact_id": record.contact_id,
        "webhook_url": record.webhook_url,
        "last_report": record.last_report,
        "reason": record.reason,
        "reports": list(record.reports),
        "kind": record.kind,
        "answered_by": record.answered_by,
        "digits": record.digits,
        "announcement": None
        if record.announcement is None
        else announcement_to_stored(record.announcement),
    }


def announcement_to_stored(announcement: Announcement) -> dict[str, Any]:
    """Return an announce call's message and settings as stored."""
    return {
        "message": announcement.message,
        "acknowledge": announcement.acknowledge,
        "repeat": announcement.repeat,
        "language": announcement.language,
        "voice": announcement.voice,
        "voicemail": announcement.voicemail,
        "report_key": announcement.report_key,
    }


def _announcement(item: Any) -> Announcement | None:
    if item is None:
        return None
    if not isinstance(item, dict):
        raise TypeError("announcement is not a mapping")
    repeat = item.get("repeat", 1)
    if not isinstance(repeat, int) or isinstance(repeat, bool) or not 1 <= repeat <= 5:
        raise TypeError("repeat is not 1 to 5")
    return Announcement(
        message=_text(item, "message"),
        acknowledge=item.get("acknowledge") is not False,
        repeat=repeat,
        language=_text(item, "language"),
        voice=_optional_text(item, "voice"),
        voicemail=Voicemail(item.get("voicemail", Voicemail.HANG_UP)),
        report_key=_optional_text(item, "report_key"),
    )


def record_from_stored(item: Any) -> CallRecord | None:
    """Rebuild a stored record, checking every field's type.

    Returns None for an attempt that older versions kept although it was
    refused before anything was sent. Raises KeyError, TypeError or
    ValueError for anything that is not a call.
    """
    if not isinstance(item, dict):
        raise TypeError(f"a {type(item).__name__} where a call was expected")
    if item.get("placed") is False:
        return None
    attributes = item.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise TypeError("attributes is not a mapping")
    return CallRecord(
        call_id=_text(item, "call_id"),
        provider=_text(item, "provider"),
        to=_text(item, "to"),
        from_=_optional_text(item, "from_"),
        reference=_optional_text(item, "reference"),
        status=CallStatus(_text(item, "status")),
        created=_time(item.get("created"), "created"),
        provider_call_id=_optional_text(item, "provider_call_id"),
        duration=_optional_count(item, "duration"),
        error=_optional_text(item, "error"),
        max_duration=_optional_count(item, "max_duration"),
        attributes={str(key): value for key, value in attributes.items()},
        contact=_optional_text(item, "contact"),
        contact_id=_optional_text(item, "contact_id"),
        webhook_url=_optional_text(item, "webhook_url"),
        last_report=_optional_time(item, "last_report"),
        reason=None if item.get("reason") is None else CallReason(item["reason"]),
        reports=[_report_id(report) for report in _list(item.get("reports"))],
        kind=CallKind(item.get("kind", CallKind.DIAL)),
        answered_by=None
        if item.get("answered_by") is None
        else AnsweredBy(item["answered_by"]),
        digits=_optional_text(item, "digits"),
        announcement=_announcement(item.get("announcement")),
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(item: dict[str, Any], key: str) -> str:
    value = item[key]
    if not isinstance(value, str) or not value:
        raise TypeError(f"{key} is not a text")
    return value


def _optional_text(item: dict[str, Any], key: str) -> str | None:
    return None if item.get(key) is None else _text(item, key)


def _optional_count(item: dict[str, Any], key: str) -> int | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError(f"{key} is not a whole number of seconds")
    return value


def _time(value: Any, key: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
    ):
        raise TypeError(f"{key} is not a time")
    return float(value)


def _optional_time(item: dict[str, Any], key: str) -> float | None:
    return None if item.get(key) is None else _time(item[key], key)


def _report_id(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError("a report id is not a text")
    return value


def _sent(item: Any) -> tuple[float, str] | None:
    """Read one call the guard counted; None if it is not one."""
    if isinstance(item, list) and len(item) == 2 and isinstance(item[1], str):
        try:
            return _time(item[0], "sent"), item[1]
        except TypeError:
            return None
    return None
