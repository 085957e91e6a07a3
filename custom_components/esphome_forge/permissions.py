"""Who may do what: actions that change firmware, content trust or the build fleet are admin-only.

HA lets every user call every service and control every entity, and `async_register_admin_service`
refuses with an untranslated "Unauthorized". Our check raises `AdminRequired`, an `Unauthorized`
(so HTTP callers get 401 and HA logs it as a permission problem) that carries a translated message.
Calls without a user (automations, scripts run by HA itself) are allowed: only admins create those.

Admin-only: the `compile`, `cancel` and `revoke` actions, installing from an update entity, the
compile button, a worker's build slots and its clean-cache button. Open: `validate` and
`verify_firmware` (they read; validate's job changes nothing on any device).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any

from homeassistant.core import Context, HomeAssistant, ServiceCall, ServiceResponse
from homeassistant.exceptions import HomeAssistantError, Unauthorized, UnknownUser

from .const import DOMAIN


class AdminRequired(Unauthorized):
    """A user who is not an administrator asked for an admin-only action."""

    def __init__(self, context: Context, action: str) -> None:
        """An Unauthorized error with the translated `admin_required` message."""
        super().__init__(context=context)
        # Unauthorized takes no translation; set it as HomeAssistantError does.
        HomeAssistantError.__init__(
            self,
            translation_domain=DOMAIN,
            translation_key="admin_required",
            translation_placeholders={"action": action},
        )


async def async_require_admin(hass: HomeAssistant, context: Context | None, action: str) -> None:
    """Raise AdminRequired unless the call comes from an administrator (or from HA itself)."""
    if context is None or context.user_id is None:
        return
    user = await hass.auth.async_get_user(context.user_id)
    if user is None:
        raise UnknownUser(context=context)
    if not user.is_admin:
        raise AdminRequired(context, action)


type ServiceHandler = Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]


def admin_only(handler: ServiceHandler) -> ServiceHandler:
    """Wrap a service handler so only administrators (and HA itself) may call it."""

    @wraps(handler)
    async def checked(call: ServiceCall) -> ServiceResponse:
        await async_require_admin(call.hass, call.context, f"{call.domain}.{call.service}")
        return await handler(call)

    return checked
