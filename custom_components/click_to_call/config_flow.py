"""Config flow: a menu of providers, one form each; reauth, reconfigure, options."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import partial
import secrets
from typing import Any, NamedTuple

from homeassistant.components import webhook
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentry,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

from .compat import vol
from .const import (
    CONF_CALLBACK_KEY,
    CONF_DEFAULT_MAX_DURATION,
    CONF_DETECT_VOICEMAIL,
    CONF_MAX_CALLS_PER_HOUR,
    CONF_NUMBER_FORMAT,
    CONF_PROVIDER,
    CONF_REPEAT_INTERVAL,
    CONF_VERIFY_SSL,
    CONF_VOICE_ANY_NUMBER,
    CONF_WEBHOOK_ID,
    DEFAULT_MAX_CALLS_PER_HOUR,
    DEFAULT_REPEAT_INTERVAL,
    DOMAIN,
    LOGGER,
    MAX_CALLS_PER_HOUR_LIMIT,
    NUMBER_FORMAT_PROVIDER,
)
from .contacts import (
    CONF_ALIASES,
    CONF_FROM,
    CONF_NAME,
    CONF_NUMBER,
    CONF_REFERENCE,
    MAX_ALIASES,
    MAX_NAME,
    SUBENTRY_CONTACT,
    contacts_of,
    fold,
    names_taken,
    tidy,
)
from .coordinator import ClickToCallConfigEntry, async_client_class
from .errors import DialRefused, provider_placeholders
from .forms import contact_schema, settings_schema, whole_number
from .phone import account_title, is_account_id, parse_number, phone_settings
from .providers import PROVIDER_IDS
from .providers.client import ProviderClient
from .providers.errors import NotSentError, ProviderError
from .providers.models import DialField, DialRequest, NumberFormat, Outcome
from .providers.text import has_control_characters
from .urls import async_webhook_url, internet_url

type StepHandler = Callable[[dict[str, Any] | None], Awaitable[ConfigFlowResult]]


class Checked(NamedTuple):
    """What checking an account's settings found."""

    errors: dict[str, str]
    placeholders: dict[str, str]
    # The settings, phone numbers written as the provider wants them once valid.
    data: dict[str, Any]
    # The key of a note for the setup's last page (a Twilio trial account).
    note: str | None = None


class ClickToCallConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up one account at one click-to-call provider."""

    VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ClickToCallConfigEntry) -> OptionsFlow:
        """Return the options flow."""
        return ClickToCallOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Accounts have contacts."""
        return {SUBENTRY_CONTACT: ContactFlow}

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user pick a provider."""
        return self.async_show_menu(step_id="user", menu_options=list(PROVIDER_IDS))

    def __getattr__(self, name: str) -> StepHandler:
        """Return the step of each provider in the menu: `async_step_<id>`.

        The steps are alike, so they are made here rather than written out
        once per provider.
        """
        provider = name.removeprefix("async_step_")
        if name.startswith("async_step_") and provider in PROVIDER_IDS:
            return partial(self._async_step_provider, provider)
        raise AttributeError(name)

    async def _async_step_provider(
        self, provider: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        client_class = await async_client_class(self.hass, provider)
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            checked = await self._async_check(
                client_class, {CONF_PROVIDER: provider, **user_input}
            )
            errors, placeholders, data = (
                checked.errors,
                checked.placeholders,
                checked.data,
            )
            if not errors:
                await self.async_set_unique_id(_unique_id(client_class, data))
                self._abort_if_unique_id_configured()
                data[CONF_WEBHOOK_ID] = webhook.async_generate_id()
                # For providers that do not sign callbacks: a secret in the URL.
                data[CONF_CALLBACK_KEY] = secrets.token_urlsafe(24)
                return self.async_create_entry(
                    title=_title(client_class, data),
                    data=data,
                    # What this provider needs next (or what the check found).
                    description=checked.note or client_class.provider,
                    description_placeholders={
                        "webhook_url": async_webhook_url(
                            self.hass, data[CONF_WEBHOOK_ID]
                        )
                    },
                )
        return self.async_show_form(
            step_id=provider,
            data_schema=self.add_suggested_values_to_schema(
                settings_schema(client_class), user_input
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start reauthentication when the provider refused the credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the account's secret again."""
        entry = self._get_reauth_entry()
        client_class = await async_client_class(self.hass, entry.data[CONF_PROVIDER])
        errors: dict[str, str] = {}
        placeholders = {"title": entry.title}
        if user_input is not None:
            checked = await self._async_check(
                client_class, {**entry.data, **user_input}
            )
            errors = checked.errors
            placeholders |= checked.placeholders
            if not errors:
                return self.async_update_reload_and_abort(
                    entry, data_updates=user_input
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=settings_schema(client_class, only_secrets=True),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the settings of the same account."""
        entry = self._get_reconfigure_entry()
        client_class = await async_client_class(self.hass, entry.data[CONF_PROVIDER])
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            data = {
                CONF_PROVIDER: client_class.provider,
                CONF_WEBHOOK_ID: entry.data[CONF_WEBHOOK_ID],
                **{
                    key: entry.data[key]
                    for key in (CONF_CALLBACK_KEY,)
                    if key in entry.data
                },
                **user_input,
            }
            checked = await self._async_check(client_class, data)
            errors, placeholders, data = (
                checked.errors,
                checked.placeholders,
                checked.data,
            )
            if not errors:
                await self.async_set_unique_id(_unique_id(client_class, data))
                self._abort_if_unique_id_mismatch(reason="account_mismatch")
                return self.async_update_reload_and_abort(
                    entry, title=_title(client_class, data), data=data
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                settings_schema(client_class), user_input or entry.data
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _async_check(
        self, client_class: type[ProviderClient[Any]], data: dict[str, Any]
    ) -> Checked:
        """Check the settings without placing a call.

        Phone numbers among them are kept as the provider writes them.
        """
        config = client_class.config_class.from_data(data)
        if (key := config.setting_with_control_characters()) is not None:
            return Checked({key: "invalid_characters"}, {}, data)
        probe = dict(data)
        for key, value in phone_settings(client_class, data, self.hass.config.country):
            try:
                probe[key] = parse_number(
                    value, self.hass.config.country, client_class.number_format
                ).formatted
            except DialRefused as err:
                return Checked({key: err.refusal.value}, err.placeholders, data)
        session = async_get_clientsession(
            self.hass, verify_ssl=data.get(CONF_VERIFY_SSL, True)
        )
        client = client_class.from_data(session, probe)
        try:
            note = await client.async_check_credentials()
        except ProviderError as err:
            LOGGER.debug("Checking %s: %s", client.title, err)
            return Checked(
                {"base": err.translation_key.value},
                provider_placeholders(client.title, err),
                data,
            )
        return Checked({}, {}, probe, note)


def _account(client_class: type[ProviderClient[Any]], data: Mapping[str, Any]) -> str:
    return client_class.account_of(client_class.config_class.from_data(data))


def _unique_id(client_class: type[ProviderClient[Any]], data: Mapping[str, Any]) -> str:
    """One entry per provider account."""
    return f"{client_class.provider}_{_account(client_class, data)}"


def _title(client_class: type[ProviderClient[Any]], data: Mapping[str, Any]) -> str:
    """Name an account as a person knows it: the provider and its number.

    Where calls come from a number of the account's own (Twilio, Exotel),
    that number; else the account's id at the provider.
    """
    return account_title(client_class, client_class.config_class.from_data(data))


class ContactFlow(ConfigSubentryFlow):
    """Add or change a contact of an account ("Add contact" on its page)."""

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Add a contact."""
        return await self._async_step_contact("user", user_input, None)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a contact."""
        return await self._async_step_contact(
            "reconfigure", user_input, self._get_reconfigure_subentry()
        )

    async def _async_step_contact(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        subentry: ConfigSubentry | None,
    ) -> SubentryFlowResult:
        entry = self._get_entry()
        client_class = await async_client_class(self.hass, entry.data[CONF_PROVIDER])
        errors: dict[str, str] = {}
        placeholders = {"account": entry.title}
        if user_input is not None:
            data = _contact_data(user_input)
            errors, found = _check_contact(
                self.hass.config.country, client_class, entry, data, subentry
            )
            placeholders |= found
            if not errors:
                if subentry is None:
                    return self.async_create_entry(title=data[CONF_NAME], data=data)
                return self.async_update_and_abort(
                    entry, subentry, title=data[CONF_NAME], data=data
                )
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                contact_schema(client_class),
                user_input or (None if subentry is None else dict(subentry.data)),
            ),
            errors=errors,
            description_placeholders=placeholders,
        )


def _contact_data(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Return a contact's data as kept: spaces tidied, empty fields left out."""
    data: dict[str, Any] = {
        CONF_NAME: tidy(str(user_input[CONF_NAME])),
        CONF_NUMBER: str(user_input[CONF_NUMBER]).strip(),
    }
    # One of each name, as names are compared, in the order given.
    aliases: dict[str, str] = {}
    for alias in map(tidy, map(str, user_input.get(CONF_ALIASES) or ())):
        if alias:
            aliases.setdefault(fold(alias), alias)
    if aliases:
        data[CONF_ALIASES] = list(aliases.values())
    for key in (CONF_FROM, CONF_REFERENCE):
        if value := str(user_input.get(key) or "").strip():
            data[key] = value
    return data


def _check_contact(
    country: str | None,
    client_class: type[ProviderClient[Any]],
    entry: ConfigEntry,
    data: Mapping[str, Any],
    subentry: ConfigSubentry | None,
) -> tuple[dict[str, str], dict[str, str]]:
    """Check a contact as a dial would check it: (errors, placeholders)."""
    for key, value in data.items():
        values = value if isinstance(value, list) else [value]
        if any(has_control_characters(text) for text in values):
            return {key: "invalid_characters"}, {}
    if not data[CONF_NAME] or len(data[CONF_NAME]) > MAX_NAME:
        return {CONF_NAME: "invalid_name"}, {}
    aliases = data.get(CONF_ALIASES, ())
    if len(aliases) > MAX_ALIASES:
        return {CONF_ALIASES: "too_many_aliases"}, {"max": str(MAX_ALIASES)}
    if any(len(alias) > MAX_NAME for alias in aliases):
        return {CONF_ALIASES: "invalid_alias"}, {}
    taken = names_taken(
        contacts_of(entry.subentries).values(),
        but=None if subentry is None else subentry.subentry_id,
    )
    for key, name in (
        (CONF_NAME, data[CONF_NAME]),
        *((CONF_ALIASES, alias) for alias in data.get(CONF_ALIASES, ())),
    ):
        if fold(name) in taken:
            return {key: "name_taken"}, {"name": name}
    parties = [CONF_NUMBER] + ([CONF_FROM] if client_class.from_is_number else [])
    for key in parties:
        value = data.get(key)
        if value is None or is_account_id(client_class, value, country):
            continue
        try:
            parse_number(value, country, client_class.number_format)
        except DialRefused as err:
            return {key: err.refusal.value}, err.placeholders
    return {}, {}


class ClickToCallOptionsFlow(OptionsFlow):
    """Dial defaults, number format and the call guard."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and save the options; they apply from the next dial."""
        client_class = await async_client_class(
            self.hass, self.config_entry.data[CONF_PROVIDER]
        )
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                # The provider's own limits judge the default, as for a call.
                client_class.from_data(
                    async_get_clientsession(self.hass), self.config_entry.data
                ).validate(
                    DialRequest(
                        call_id="options",
                        to="0",
                        max_duration=user_input.get(CONF_DEFAULT_MAX_DURATION),
                    )
                )
            except NotSentError as err:
                field = (
                    CONF_DEFAULT_MAX_DURATION if err.field == "max_duration" else "base"
                )
                errors[field] = err.translation_key.value
            else:
                return self.async_create_entry(data=user_input)
        fields: dict[vol.Marker, Any] = {
            vol.Required(
                CONF_NUMBER_FORMAT, default=NUMBER_FORMAT_PROVIDER
            ): SelectSelector(
                SelectSelectorConfig(
                    options=[
                        NUMBER_FORMAT_PROVIDER,
                        *(fmt.value for fmt in NumberFormat),
                    ],
                    mode=SelectSelectorMode.DROPDOWN,
                    translation_key=CONF_NUMBER_FORMAT,
                )
            ),
            vol.Required(
                CONF_MAX_CALLS_PER_HOUR, default=DEFAULT_MAX_CALLS_PER_HOUR
            ): whole_number(0, MAX_CALLS_PER_HOUR_LIMIT),
            vol.Required(
                CONF_REPEAT_INTERVAL, default=DEFAULT_REPEAT_INTERVAL
            ): whole_number(0, 3600, "s"),
        }
        if DialField.MAX_DURATION in client_class.supported_fields:
            fields[vol.Optional(CONF_DEFAULT_MAX_DURATION)] = whole_number(
                1, 86400, "s"
            )
        if client_class.detects_machines:
            # On unless turned off: voicemail is not "answered" (it is paid).
            fields[vol.Required(CONF_DETECT_VOICEMAIL, default=True)] = (
                BooleanSelector()
            )
        # Off unless chosen: anyone near a microphone could otherwise call anyone.
        fields[vol.Required(CONF_VOICE_ANY_NUMBER, default=False)] = BooleanSelector()
        if (
            not errors
            and client_class.outcome is Outcome.WEBHOOK
            and internet_url(self.hass) is None
        ):
            # Shown, not refused: the address works once Home Assistant is
            # on the internet, as the repair says.
            errors["base"] = "webhook_not_reachable"
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(fields), user_input or self.config_entry.options
            ),
            errors=errors,
            description_placeholders={
                "webhook_url": async_webhook_url(
                    self.hass, self.config_entry.data[CONF_WEBHOOK_ID]
                ),
                "provider": client_class.title,
            },
        )
