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
    ForgeAuthError,
    ForgeClient,
    ForgeConnectionError,
    ForgeError,
    ForgeIncompatibleError,
    normalize_url,
)
from .const import (
    API_PREFIX,
    CONF_DEFAULT_PRIORITY,
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
    ZEROCONF_TXT_ID,
    ZEROCONF_TXT_PATH,
    ZEROCONF_TXT_VERSION,
)
from .coordinator import ForgeConfigEntry
from .hassio_discovery import HassioDiscoveryMixin
from .naming import default_title

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

    def _title(self, url: str) -> str:
        taken = {entry.title for entry in self._async_current_entries(include_ignore=False)}
        return default_title(taken, url)

    async def _probe(self, url: str, token: str) -> tuple[dict[str, Any] | None, dict[str, str]]:
        """Check URL and token against /api/v1/info; return (info, errors)."""
        try:
            url = normalize_url(url)
        except ValueError:
            return None, {CONF_URL: "invalid_url"}
        client = ForgeClient(async_get_clientsession(self.hass), url, token)
        try:
            return await client.info(), {}
        except ForgeAuthError:
            return None, {CONF_TOKEN: "invalid_auth"}
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
            info, errors = await self._probe(user_input[CONF_URL], user_input[CONF_TOKEN])
            if info is not None:
                url = normalize_url(user_input[CONF_URL])
                await self.async_set_unique_id(_unique_id(info, url))
                self._abort_if_unique_id_configured(updates={CONF_URL: url})
                return self.async_create_entry(
                    title=self._title(url),
                    data={CONF_URL: url, CONF_TOKEN: user_input[CONF_TOKEN]},
                )
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
        url = f"http://{host}:{discovery_info.port}"
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
            info, errors = await self._probe(self._discovered_url, user_input[CONF_TOKEN])
            if info is not None:
                if info.get("instanceId") != self.unique_id:
                    return self.async_abort(reason="wrong_sidecar")
                return self.async_create_entry(
                    title=self._title(self._discovered_url),
                    data={CONF_URL: self._discovered_url, CONF_TOKEN: user_input[CONF_TOKEN]},
                )
        return self.async_show_form(
            step_id="zeroconf_confirm",
            data_schema=vol.Schema({vol.Required(CONF_TOKEN): TOKEN_SELECTOR}),
            description_placeholders={
                "url": self._discovered_url,
                "version": self._discovered_version,
            },
            errors=errors,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The sidecar rejected the token."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new admin token."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            info, errors = await self._probe(entry.data[CONF_URL], user_input[CONF_TOKEN])
            if info is not None:
                if info.get("instanceId"):
                    await self.async_set_unique_id(str(info["instanceId"]))
                    self._abort_if_unique_id_mismatch(reason="wrong_sidecar")
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_TOKEN: user_input[CONF_TOKEN]}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_TOKEN): TOKEN_SELECTOR}),
            description_placeholders={"url": entry.data[CONF_URL]},
            errors=errors,
        )

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
