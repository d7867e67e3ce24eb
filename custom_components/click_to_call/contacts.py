"""Contacts: the people an account calls by name (config subentries)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final
import unicodedata

from homeassistant.config_entries import ConfigSubentry

from .const import ATTR_FROM, ATTR_REFERENCE, ATTR_TO

SUBENTRY_CONTACT: Final = "contact"
CONF_NAME: Final = "name"
CONF_NUMBER: Final = "number"
CONF_ALIASES: Final = "aliases"
CONF_FROM: Final = "from"
CONF_REFERENCE: Final = "reference"
MAX_NAME: Final = 64
# Every alias goes into the LLM tool's description, on every turn.
MAX_ALIASES: Final = 10


@dataclass(frozen=True)
class Contact:
    """One contact of an account."""

    subentry_id: str
    name: str
    number: str
    aliases: tuple[str, ...] = ()
    from_: str | None = None
    reference: str | None = None

    @classmethod
    def from_subentry(cls, subentry: ConfigSubentry) -> Contact:
        """Read a contact from its subentry."""
        data = subentry.data
        return cls(
            subentry_id=subentry.subentry_id,
            name=data[CONF_NAME],
            number=data[CONF_NUMBER],
            # Bounded as the form bounds them (older entries may hold more).
            aliases=tuple(
                alias
                for alias in data.get(CONF_ALIASES) or ()
                if isinstance(alias, str) and 0 < len(alias) <= MAX_NAME
            )[:MAX_ALIASES],
            from_=data.get(CONF_FROM) or None,
            reference=data.get(CONF_REFERENCE) or None,
        )

    @property
    def names(self) -> frozenset[str]:
        """Return the name and aliases, as they are compared (case folded)."""
        return frozenset(fold(name) for name in (self.name, *self.aliases))

    def is_called(self, text: str) -> bool:
        """Return whether text names this contact: a name, an alias or its id."""
        return text == self.subentry_id or fold(text) in self.names

    def dial_fields(self, data: Mapping[str, Any]) -> Mapping[str, Any]:
        """Return the dial's fields: the contact's, where the action gives none."""
        fields = {ATTR_TO: self.number, **data}
        if self.from_ is not None:
            fields.setdefault(ATTR_FROM, self.from_)
        if self.reference is not None:
            fields.setdefault(ATTR_REFERENCE, self.reference)
        return MappingProxyType(fields)


def tidy(name: str) -> str:
    """Return a name as kept: invisible characters out, spaces single."""
    visible = "".join(char for char in name if unicodedata.category(char) != "Cf")
    return " ".join(visible.split())


def fold(name: str) -> str:
    """Compare names without case, spacing, invisible characters or form.

    "Mom", "mom", "M\u200bom" and a full-width "Mom" are one name (Unicode's
    NFKC and case folding; zero-width and other format characters dropped).
    """
    return unicodedata.normalize(
        "NFKC", unicodedata.normalize("NFKC", tidy(name)).casefold()
    )


def contacts_of(subentries: Mapping[str, ConfigSubentry]) -> dict[str, Contact]:
    """Return an entry's contacts by subentry id."""
    return {
        subentry_id: Contact.from_subentry(subentry)
        for subentry_id, subentry in subentries.items()
        if subentry.subentry_type == SUBENTRY_CONTACT
    }


def names_taken(contacts: Iterable[Contact], but: str | None = None) -> frozenset[str]:
    """Return the names and aliases in use, but those of the contact `but`."""
    return frozenset(
        name
        for contact in contacts
        if contact.subentry_id != but
        for name in contact.names
    )
