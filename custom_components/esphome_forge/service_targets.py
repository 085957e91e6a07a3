"""Which config entries and ESPHome nodes a service call is about.

Targets are HA devices, areas, floors and labels, resolved to the nodes our per-node entities sit
on; `config_entry_id` narrows a call to one sidecar. Wrong input raises a translated
`ServiceValidationError` (`invalid`).
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er, target as target_helpers

from .const import DOMAIN
from .entity import parse_unique_id
from .entry_data import ForgeConfigEntry

ATTR_CONFIG_ENTRY_ID = "config_entry_id"


def invalid(key: str, **placeholders: str) -> ServiceValidationError:
    """A translated validation error (`exceptions.<key>` in the translations)."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


def call_entries(hass: HomeAssistant, call: ServiceCall) -> list[ForgeConfigEntry]:
    """The loaded entries a call applies to: the named one, else all loaded ones."""
    if entry_id := call.data.get(ATTR_CONFIG_ENTRY_ID):
        entry = hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN:
            raise invalid("entry_not_found", entry_id=entry_id)
        if entry.state is not ConfigEntryState.LOADED:
            raise invalid("entry_not_loaded", title=entry.title)
        return [entry]
    entries = hass.config_entries.async_loaded_entries(DOMAIN)
    if not entries:
        raise invalid("no_loaded_entries")
    return entries


def single_entry(hass: HomeAssistant, call: ServiceCall) -> ForgeConfigEntry:
    """The one entry a call applies to (several loaded and none named is an error)."""
    entries = call_entries(hass, call)
    if len(entries) > 1:
        raise invalid("multiple_entries")
    return entries[0]


def has_target(call: ServiceCall) -> bool:
    """True when the call names devices, areas, floors, labels or entities."""
    return target_helpers.TargetSelection(call.data).has_any_target


@callback
def targeted_nodes(
    hass: HomeAssistant, call: ServiceCall, entries: list[ForgeConfigEntry]
) -> dict[str, set[str]]:
    """Entry id → sidecar device ids of the nodes behind the targeted devices/areas/labels."""
    selection = target_helpers.TargetSelection(call.data)
    if not selection.has_any_target:
        return {}
    selected = target_helpers.async_extract_referenced_entity_ids(hass, selection)
    ent_reg = er.async_get(hass)
    allowed = {entry.entry_id for entry in entries}
    found: dict[str, set[str]] = {}

    def add(entity: er.RegistryEntry) -> None:
        if entity.platform != DOMAIN or entity.config_entry_id not in allowed:
            return
        parsed = parse_unique_id(entity.unique_id)
        if parsed is not None and parsed[0] == "device":
            found.setdefault(entity.config_entry_id, set()).add(parsed[1])

    for device_id in selected.referenced_devices:
        for on_device in er.async_entries_for_device(
            ent_reg, device_id, include_disabled_entities=True
        ):
            add(on_device)
    for entity_id in selected.referenced | selected.indirectly_referenced:
        if (named := ent_reg.async_get(entity_id)) is not None:
            add(named)
    return found


def one_node(hass: HomeAssistant, call: ServiceCall) -> tuple[ForgeConfigEntry, str]:
    """The single node a validate / verify call is about."""
    if not has_target(call):
        raise invalid("no_target")
    entries = call_entries(hass, call)
    targeted = targeted_nodes(hass, call, entries)
    pairs = [(entry_id, node) for entry_id, nodes in targeted.items() for node in nodes]
    if not pairs:
        raise invalid("no_devices_matched")
    if len(pairs) > 1:
        raise invalid("single_device_required", count=str(len(pairs)))
    entry_id, node = pairs[0]
    entry = next(e for e in entries if e.entry_id == entry_id)
    return entry, node
