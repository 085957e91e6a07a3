"""One-click setup of the Forge add-on, announced through the Supervisor's discovery.

The add-on sends its address on Home Assistant's internal network and its admin token; the
user only confirms. The token is checked against the sidecar before anything is stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.helpers.service_info.hassio import HassioServiceInfo

from .const import CONF_FINGERPRINT, CONF_TOKEN, CONF_URL

if TYPE_CHECKING:
    # Typed as the config flow it is mixed into (ForgeConfigFlow; importing that here would be a ring).
    from homeassistant.config_entries import ConfigFlow as _Base
else:
    _Base = object

# The probe's form errors, as reasons to abort a discovery nobody typed in.
ABORT_REASONS = {
    "invalid_auth": "hassio_invalid_auth",
    "cannot_connect": "cannot_connect",
    "incompatible": "incompatible",
}


class HassioDiscoveryMixin(_Base):
    """The config flow's `hassio` steps (mixed into ForgeConfigFlow)."""

    _hassio_addon: dict[str, str] | None = None

    if TYPE_CHECKING:

        async def _probe(
            self, url: str, token: str, fingerprint: str | None = None
        ) -> tuple[dict[str, Any] | None, dict[str, str]]: ...

        def _title(self, url: str) -> str: ...

    async def async_step_hassio(self, discovery_info: HassioServiceInfo) -> ConfigFlowResult:
        """The add-on announced itself: {host, port, token, fingerprint, instance_id, version}.

        HA reaches the add-on over its internal network, not loopback, so over TLS: the add-on's own
        key is pinned by the fingerprint it announced (the Supervisor is the trusted channel here).
        """
        config = discovery_info.config
        host, port, token = config.get("host"), config.get("port"), config.get("token")
        if (
            not isinstance(host, str)
            or not host
            or not isinstance(port, int)
            or not isinstance(token, str)
        ):
            return self.async_abort(reason="invalid_discovery")
        fingerprint = config.get("fingerprint")
        if fingerprint is not None and (not isinstance(fingerprint, str) or len(fingerprint) != 64):
            return self.async_abort(reason="invalid_discovery")
        scheme = "https" if fingerprint else "http"
        url = f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"
        info, errors = await self._probe(url, token, fingerprint)
        if info is None:
            error = next(iter(errors.values()), "unknown")
            return self.async_abort(reason=ABORT_REASONS.get(error, "unknown"))
        await self.async_set_unique_id(str(info.get("instanceId") or f"{host}:{port}"))
        # Already set up (by hand or before): follow the add-on's address and token.
        pin = {CONF_FINGERPRINT: fingerprint} if fingerprint else {}
        self._abort_if_unique_id_configured(updates={CONF_URL: url, CONF_TOKEN: token, **pin})
        self._hassio_addon = {"url": url, "token": token, "name": discovery_info.name, **pin}
        self.context["title_placeholders"] = {"name": discovery_info.name}
        return await self.async_step_hassio_confirm()

    async def async_step_hassio_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """One click: nothing to type."""
        assert self._hassio_addon is not None
        if user_input is not None:
            url = self._hassio_addon["url"]
            return self.async_create_entry(
                title=self._title(url),
                data={
                    CONF_URL: url,
                    CONF_TOKEN: self._hassio_addon["token"],
                    **(
                        {CONF_FINGERPRINT: self._hassio_addon[CONF_FINGERPRINT]}
                        if CONF_FINGERPRINT in self._hassio_addon
                        else {}
                    ),
                },
            )
        self._set_confirm_only()
        return self.async_show_form(
            step_id="hassio_confirm",
            description_placeholders={"addon": self._hassio_addon["name"]},
        )
