"""The devices: an account, and each of its contacts, as a person reads them.

The account is a service ("Click-to-call account by TeleCMI"); a contact is a
person called through it ("Contact, called through TeleCMI"), under the
account's device.
"""

from __future__ import annotations

from typing import Any, Final, cast

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo

from .const import DOMAIN

ACCOUNT_MODEL: Final = "Click-to-call account"
# Since 2026.8 a device names its parent by the parent's device id; before, by
# the parent's identifier (deprecated since, and refused from 2027.8).
VIA_DEVICE_ID: Final = "via_device_id" in DeviceInfo.__optional_keys__


def account_device(entry_id: str, title: str, provider: str) -> DeviceInfo:
    """Return the device of an account."""
    return DeviceInfo(
        identifiers={(DOMAIN, entry_id)},
        name=title,
        manufacturer=provider,
        model=ACCOUNT_MODEL,
        entry_type=DeviceEntryType.SERVICE,
    )


def contact_device(
    entry_id: str, subentry_id: str, name: str, provider: str, parent_id: str
) -> DeviceInfo:
    """Return the device of a contact, under its account's (`parent_id`)."""
    parent: dict[str, Any] = (
        {"via_device_id": parent_id}
        if VIA_DEVICE_ID
        else {"via_device": (DOMAIN, entry_id)}
    )
    return cast(
        DeviceInfo,
        {
            "identifiers": {(DOMAIN, contact_identifier(entry_id, subentry_id))},
            "name": name,
            "model": f"Contact, called through {provider}",
            # Set, not left out: devices from older versions said "Service
            # info" and "by <provider>".
            "manufacturer": None,
            "entry_type": None,
            **parent,
        },
    )


def contact_identifier(entry_id: str, subentry_id: str) -> str:
    """Return the identifier of a contact's device."""
    return f"{entry_id}_{subentry_id}"
