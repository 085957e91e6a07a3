"""Config flow: sidecar URL + admin token, zeroconf and add-on discovery, reauth, reconfigure, options."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from yarl import URL

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlowWithReload
from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo

from .api import (
    ForgeApiError,
    ForgeAuthError,
    ForgeClient,
    ForgeConnectionError,
    ForgeError,
    ForgeIncompatibleError,
    ForgeKeyChangedError,
    normalize_url,
)
from .const import (
    API_PREFIX,
    CONF_DEFAULT_PRIORITY,
    CONF_FINGERPRINT,
    CONF_REPAIR_GRACE_MINUTES,
    CONF_TOKEN,
    CONF_URL,
    CONF_VALIDATE_TIMEOUT,
    DEFAULT_REPAIR_GRACE_MINUTES,
    DEFAULT_SERVICE_PRIORITY,
    DEFAULT_VALIDATE_TIMEOUT,
    DOMAIN,
    JOB_PRIORITIES,
    LOGGER,
    SUPPORTED_API_VERSION,
    ZEROCONF_TXT_API,
    ZEROCONF_TXT_FP,
    ZEROCONF_TXT_ID,
    ZEROCONF_TXT_PATH,
    ZEROCONF_TXT_VERSION,
)
from .entry_data import ForgeConfigEntry
from .hassio_discovery import HassioDiscoveryMixin
from .naming import default_title
from .tls_pin import ca_verified, format_fingerprint, presented_fingerprint

TOKEN_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))


def _unique_id(info: dict[str, Any], url: str) -> str:
    """The sidecar's instance id when it reports one, else its address."""
    if instance := info.get("instanceId"):
        return str(instance)
    parsed = URL(url)
    return f"{parsed.host}:{parsed.port}"


class ForgeConfigFlow(HassioDiscoveryMixin, ConfigFlow, domain=DOMAIN):
    """Set up a connection to one Forge sidecar."""

    VERSION = 1
    # 1.2: short titles (see default_title); async_migrate_entry renames untouched old ones.
    MINOR_VERSION = 2

    def __init__(self) -> None:
        """Start with nothing discovered."""
        self._discovered_url: str | None = None
        self._discovered_version: str = ""
        # The sidecar's TLS key fingerprint to pin (shown to the user before it is stored).
        self._fingerprint: str | None = None
        self._pending_entry: dict[str, Any] | None = None

    def _title(self, url: str) -> str:
        taken = {entry.title for entry in self._async_current_entries(include_ignore=False)}
        return default_title(taken, url)

    async def _key_to_pin(self, url: str) -> str | None:
        """For https without a CA-issued certificate: the key fingerprint the sidecar presents."""
        if URL(url).scheme != "https":
            return None
        try:
            if await ca_verified(url):
                return None
            return await presented_fingerprint(url)
        except (OSError, TimeoutError, ValueError):
            return None  # the probe that follows reports it

    async def _probe(
        self, url: str, token: str, fingerprint: str | None = None
    ) -> tuple[dict[str, Any] | None, dict[str, str]]:
        """Check URL and token against /api/v1/info; return (info, errors)."""
        try:
            url = normalize_url(url)
        except ValueError:
            return None, {CONF_URL: "invalid_url"}
        client = ForgeClient(async_get_clientsession(self.hass), url, token, fingerprint)
        try:
            return await client.info(), {}
        except ForgeKeyChangedError:
            return None, {"base": "tls_key_mismatch"}
        except ForgeAuthError:
            return None, {CONF_TOKEN: "invalid_auth"}
        except ForgeApiError as err:
            if err.code == "tls_required":
                return None, {CONF_URL: "tls_required"}
            LOGGER.exception("Unexpected answer from the Forge sidecar at %s", url)
            return None, {"base": "unknown"}
        except ForgeIncompatibleError:
            return None, {"base": "incompatible"}
        except ForgeConnectionError:
            return None, {"base": "cannot_connect"}
        except ForgeError:
            LOGGER.exception("Unexpected answer from the Forge sidecar at %s", url)
            return None, {"base": "unknown"}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """URL and admin token, typed in."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                fingerprint = await self._key_to_pin(normalize_url(user_input[CONF_URL]))
            except ValueError:
                fingerprint = None
            info, errors = await self._probe(
                user_input[CONF_URL], user_input[CONF_TOKEN], fingerprint
            )
            if info is not None:
                url = normalize_url(user_input[CONF_URL])
                await self.async_set_unique_id(_unique_id(info, url))
                self._abort_if_unique_id_configured(updates={CONF_URL: url})
                data = {CONF_URL: url, CONF_TOKEN: user_input[CONF_TOKEN]}
                if fingerprint:
                    # Shown before it is stored: the user compares it with what the sidecar printed.
                    self._fingerprint = fingerprint
                    self._pending_entry = data
                    return await self.async_step_tls_confirm()
                return self.async_create_entry(title=self._title(url), data=data)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_URL): URL_SELECTOR,
                        vol.Required(CONF_TOKEN): TOKEN_SELECTOR,
                    }
                ),
                user_input or {CONF_URL: "http://"},
            ),
            errors=errors,
        )

    async def async_step_tls_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the sidecar's TLS key fingerprint; on confirmation it is pinned."""
        assert self._pending_entry is not None
        assert self._fingerprint is not None
        if user_input is not None:
            url = self._pending_entry[CONF_URL]
            return self.async_create_entry(
                title=self._title(url),
                data={**self._pending_entry, CONF_FINGERPRINT: self._fingerprint},
            )
        return self.async_show_form(
            step_id="tls_confirm",
            description_placeholders={
                "url": self._pending_entry[CONF_URL],
                "fingerprint": format_fingerprint(self._fingerprint),
            },
        )

    async def async_step_zeroconf(self, discovery_info: ZeroconfServiceInfo) -> ConfigFlowResult:
        """A sidecar advertising `_esphome-forge._tcp`: TXT `id`, `api`, `version`, `path`."""
        props = discovery_info.properties
        instance = props.get(ZEROCONF_TXT_ID)
        if (
            not instance
            or props.get(ZEROCONF_TXT_API) != str(SUPPORTED_API_VERSION)
            or props.get(ZEROCONF_TXT_PATH) != API_PREFIX
        ):
            # Not a sidecar this integration can talk to (another API version or layout).
            return self.async_abort(reason="incompatible")
        host = discovery_info.host
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        fingerprint = str(props.get(ZEROCONF_TXT_FP) or "").lower()
        if fingerprint and (
            len(fingerprint) != 64 or any(c not in "0123456789abcdef" for c in fingerprint)
        ):
            return self.async_abort(reason="incompatible")
        # A fingerprint in TXT: https, pinned to it (mDNS is not authenticated: the user compares it).
        scheme = "https" if fingerprint else "http"
        url = f"{scheme}://{host}:{discovery_info.port}"
        self._fingerprint = fingerprint or None
        await self.async_set_unique_id(instance)
        # Known sidecar: follow it to its new address, nothing to confirm.
        self._abort_if_unique_id_configured(updates={CONF_URL: url})
        self._discovered_url = url
        self._discovered_version = props.get(ZEROCONF_TXT_VERSION) or "?"
        self.context["title_placeholders"] = {"name": f"{URL(url).host}:{URL(url).port}"}
        return await self.async_step_zeroconf_confirm()

    async def async_step_zeroconf_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the admin token of the discovered sidecar."""
        assert self._discovered_url is not None
        errors: dict[str, str] = {}
        if user_input is not None:
            info, errors = await self._probe(
                self._discovered_url, user_input[CONF_TOKEN], self._fingerprint
            )
            if info is not None:
                if info.get("instanceId") != self.unique_id:
                    return self.async_abort(reason="wrong_sidecar")
                data = {CONF_URL: self._discovered_url, CONF_TOKEN: user_input[CONF_TOKEN]}
                if self._fingerprint:
                    data[CONF_FINGERPRINT] = self._fingerprint
                return self.async_create_entry(title=self._title(self._discovered_url), data=data)
        return self.async_show_form(
            step_id="zeroconf_confirm",
            data_schema=vol.Schema({vol.Required(CONF_TOKEN): TOKEN_SELECTOR}),
            description_placeholders={
                "url": self._discovered_url,
                "version": self._discovered_version,
                "fingerprint": format_fingerprint(self._fingerprint) if self._fingerprint else "-",
            },
            errors=errors,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The sidecar rejected the token, or presented another TLS key than the pinned one."""
        pinned = entry_data.get(CONF_FINGERPRINT)
        self._fingerprint = pinned
        if pinned:
            try:
                # A changed key is shown for the user to compare; it is never taken silently.
                self._fingerprint = await presented_fingerprint(entry_data[CONF_URL])
            except (OSError, TimeoutError, ValueError):
                self._fingerprint = pinned
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new admin token."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            info, errors = await self._probe(
                entry.data[CONF_URL], user_input[CONF_TOKEN], self._fingerprint
            )
            if info is not None:
                if info.get("instanceId"):
                    await self.async_set_unique_id(str(info["instanceId"]))
                    self._abort_if_unique_id_mismatch(reason="wrong_sidecar")
                updates: dict[str, Any] = {CONF_TOKEN: user_input[CONF_TOKEN]}
                if self._fingerprint:
                    updates[CONF_FINGERPRINT] = self._fingerprint
                return self.async_update_reload_and_abort(entry, data_updates=updates)
        pinned = entry.data.get(CONF_FINGERPRINT)
        changed = bool(pinned and self._fingerprint and self._fingerprint != pinned)
        form: dict[str, Any] = {
            "data_schema": vol.Schema({vol.Required(CONF_TOKEN): TOKEN_SELECTOR}),
            "description_placeholders": {
                "url": entry.data[CONF_URL],
                "fingerprint": format_fingerprint(self._fingerprint) if self._fingerprint else "-",
            },
            "errors": errors,
        }
        if changed:
            # A changed key has its own step (and words): the new fingerprint, to compare.
            return self.async_show_form(step_id="reauth_new_key", **form)
        return self.async_show_form(step_id="reauth_confirm", **form)

    async def async_step_reauth_new_key(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The sidecar's TLS key changed: confirm the new fingerprint (and the token)."""
        return await self.async_step_reauth_confirm(user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the sidecar URL (and token)."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            token = user_input.get(CONF_TOKEN) or entry.data[CONF_TOKEN]
            info, errors = await self._probe(user_input[CONF_URL], token)
            if info is not None:
                url = normalize_url(user_input[CONF_URL])
                if info.get("instanceId"):
                    await self.async_set_unique_id(str(info["instanceId"]))
                    self._abort_if_unique_id_mismatch(reason="wrong_sidecar")
                    unique_id = entry.unique_id
                else:
                    # Without an instance id the address is the identity: follow the move,
                    # unless another entry already has that address.
                    unique_id = _unique_id(info, url)
                    for other in self._async_current_entries(include_ignore=False):
                        if other.entry_id != entry.entry_id and other.unique_id == unique_id:
                            return self.async_abort(reason="already_configured")
                return self.async_update_reload_and_abort(
                    entry,
                    unique_id=unique_id,
                    data_updates={CONF_URL: url, CONF_TOKEN: token},
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_URL): URL_SELECTOR,
                        vol.Optional(CONF_TOKEN): TOKEN_SELECTOR,
                    }
                ),
                {CONF_URL: (user_input or entry.data)[CONF_URL]},
            ),
            errors=errors,
        )

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ForgeConfigEntry) -> ForgeOptionsFlow:
        """Options: repair grace period, validate timeout, default priority."""
        return ForgeOptionsFlow()


OPTIONS_SCHEMA = vol.Schema(
    {
        vol.Required(
            CONF_REPAIR_GRACE_MINUTES, default=DEFAULT_REPAIR_GRACE_MINUTES
        ): NumberSelector(
            NumberSelectorConfig(min=1, max=1440, step=1, mode=NumberSelectorMode.BOX)
        ),
        vol.Required(CONF_VALIDATE_TIMEOUT, default=DEFAULT_VALIDATE_TIMEOUT): NumberSelector(
            NumberSelectorConfig(min=10, max=3600, step=1, mode=NumberSelectorMode.BOX)
        ),
        vol.Required(CONF_DEFAULT_PRIORITY, default=DEFAULT_SERVICE_PRIORITY): SelectSelector(
            SelectSelectorConfig(
                options=list(JOB_PRIORITIES),
                mode=SelectSelectorMode.DROPDOWN,
                translation_key="priority",
            )
        ),
    }
)


class ForgeOptionsFlow(OptionsFlowWithReload):
    """Options of one sidecar connection."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """One form."""
        if user_input is not None:
            return self.async_create_entry(
                data={
                    CONF_REPAIR_GRACE_MINUTES: int(user_input[CONF_REPAIR_GRACE_MINUTES]),
                    CONF_VALIDATE_TIMEOUT: int(user_input[CONF_VALIDATE_TIMEOUT]),
                    CONF_DEFAULT_PRIORITY: user_input[CONF_DEFAULT_PRIORITY],
                }
            )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                OPTIONS_SCHEMA, self.config_entry.options
            ),
        )
