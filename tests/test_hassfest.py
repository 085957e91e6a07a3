"""The checks hassfest and the HACS action would make, as ordinary tests.

Neither tool runs here (hassfest needs a core checkout on Python 3.14; the HACS action needs Docker
and the GitHub API), so the deterministic parts are mirrored: manifest schema and key order,
translations ↔ code ↔ services.yaml ↔ icons.json coverage, hacs.json, brand images, the quality
scale checklist. Where Home Assistant itself can load a file (manifest, services.yaml,
translations), the test also asks it to.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
import re
import struct
from typing import Any

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
import pytest
import yaml

from custom_components.esphome_forge.const import BUILD_STATUS_OPTIONS, DOMAIN, TRUST_OPTIONS
from custom_components.esphome_forge.hassio_discovery import ABORT_REASONS
from homeassistant.core import HomeAssistant
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.helpers.translation import async_get_translations
from homeassistant.loader import async_get_integration
from homeassistant.setup import async_setup_component

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / DOMAIN
MANIFEST = json.loads((INTEGRATION / "manifest.json").read_text())
EN = json.loads((INTEGRATION / "translations" / "en.json").read_text())
SERVICES = yaml.safe_load((INTEGRATION / "services.yaml").read_text())
ICONS = json.loads((INTEGRATION / "icons.json").read_text())
PLATFORMS = ("binary_sensor", "button", "number", "sensor", "update")

# hassfest's CUSTOM_INTEGRATION_MANIFEST_SCHEMA keys (script/hassfest/manifest.py).
MANIFEST_KEYS = {
    "domain",
    "name",
    "after_dependencies",
    "bluetooth",
    "codeowners",
    "config_flow",
    "dependencies",
    "dhcp",
    "disabled",
    "documentation",
    "homekit",
    "import_executor",
    "integration_type",
    "iot_class",
    "issue_tracker",
    "loggers",
    "mqtt",
    "quality_scale",
    "requirements",
    "single_config_entry",
    "ssdp",
    "usb",
    "version",
    "zeroconf",
}
IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
# hacs/integration: HACS_MANIFEST_JSON_SCHEMA.
HACS_KEYS = {
    "name",
    "content_in_root",
    "country",
    "filename",
    "hacs",
    "hide_default_branch",
    "homeassistant",
    "persistent_directory",
    "render_readme",
    "zip_release",
}
QUALITY_RULES = {
    "bronze": [
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ],
    "silver": [
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ],
    "gold": [
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ],
    "platinum": ["async-dependency", "inject-websession", "strict-typing"],
}


def _python_sources() -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(INTEGRATION.glob("*.py"))}


def _descriptions() -> list[tuple[str, str, list[str] | None]]:
    """(platform, translation_key, enum options) of every entity description in the code."""
    found: list[tuple[str, str, list[str] | None]] = []
    for platform in PLATFORMS:
        tree = ast.parse((INTEGRATION / f"{platform}.py").read_text())
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if not node.func.id.endswith("Description"):
                continue
            kwargs = {k.arg: k.value for k in node.keywords}
            if "translation_key" not in kwargs:
                continue
            key = ast.literal_eval(kwargs["translation_key"])
            options = None
            if "options" in kwargs:
                src = ast.unparse(kwargs["options"])
                options = {
                    "BUILD_STATUS_OPTIONS": BUILD_STATUS_OPTIONS,
                    "TRUST_OPTIONS": TRUST_OPTIONS,
                }[src]
            found.append((platform, key, options))
    return found


def test_manifest() -> None:
    """Schema, key order, version format, iot_class, dependencies, discovery."""
    keys = list(MANIFEST)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:]), "Manifest keys are not sorted correctly"
    assert set(keys) <= MANIFEST_KEYS, set(keys) - MANIFEST_KEYS
    for required in ("domain", "name", "version", "documentation", "issue_tracker", "codeowners"):
        assert MANIFEST.get(required), required
    assert MANIFEST["domain"] == DOMAIN == INTEGRATION.name
    version = AwesomeVersion(MANIFEST["version"])
    assert version.strategy in (AwesomeVersionStrategy.SEMVER, AwesomeVersionStrategy.CALVER)
    assert MANIFEST["iot_class"] == "local_push"
    assert MANIFEST["iot_class"] in IOT_CLASSES
    assert MANIFEST["integration_type"] == "hub"
    assert MANIFEST["config_flow"] is True
    assert MANIFEST["requirements"] == []
    assert MANIFEST["zeroconf"] == ["_esphome-forge._tcp.local."]
    # hassfest's dependency check: every homeassistant.components.X we import is declared.
    imported = set()
    for source in _python_sources().values():
        imported |= set(re.findall(r"homeassistant\.components(?:\.|\s+import\s+)(\w+)", source))
    platforms = {*PLATFORMS, "diagnostics", "system_health"}
    undeclared = imported - platforms - set(MANIFEST["dependencies"])
    assert not undeclared, undeclared


async def test_manifest_loads_in_home_assistant(hass: HomeAssistant) -> None:
    """Home Assistant's own loader accepts the manifest."""
    integration = await async_get_integration(hass, DOMAIN)
    assert integration.version == AwesomeVersion(MANIFEST["version"])
    assert integration.config_flow
    assert integration.iot_class == "local_push"
    assert integration.integration_type == "hub"


def test_strings_json_matches_translation() -> None:
    """strings.json and translations/en.json are the same (custom integrations read en.json)."""
    assert json.loads((INTEGRATION / "strings.json").read_text()) == EN
    # Core-only `[%key:…%]` references do not resolve in a custom integration.
    assert "[%key:" not in (INTEGRATION / "translations" / "en.json").read_text()


def test_every_json_file_is_valid() -> None:
    """Each JSON file parses (hassfest's json plugin)."""
    for path in [*INTEGRATION.rglob("*.json"), ROOT / "hacs.json"]:
        json.loads(path.read_text())


def test_entity_translations_and_icons() -> None:
    """Every entity translation key has a name, every enum state a translation and an icon."""
    descriptions = _descriptions()
    assert len(descriptions) == 15
    for platform, key, options in descriptions:
        entry = EN["entity"][platform].get(key)
        assert entry is not None, f"entity.{platform}.{key} missing"
        assert entry["name"]
        assert key in ICONS["entity"][platform], f"icon for {platform}.{key}"
        if options is not None:
            assert set(entry["state"]) == set(options), key
            assert set(ICONS["entity"][platform][key].get("state", {})) <= set(options)
    used = {(platform, key) for platform, key, _ in descriptions}
    defined = {(p, k) for p, keys in EN["entity"].items() for k in keys}
    assert defined == used, defined ^ used


def test_exception_and_issue_translations() -> None:
    """Every translation_key raised in the code exists under exceptions (or issues)."""
    used: set[str] = set()
    for source in _python_sources().values():
        used |= set(re.findall(r'translation_key="(\w+)"', source))
        used |= set(re.findall(r'\binvalid\(\s*"(\w+)"', source))
        # firmware_state names the error an install is refused with.
        used |= set(re.findall(r'install_refusal="(\w+)"', source))
    used.discard("priority")  # the options selector's translation key
    used -= {key for _, key, _ in _descriptions()}  # entity translation keys
    issues = {
        "sidecar_unreachable",
        "trust_log_inconsistent",
        "revocation_list_expired",
        "revocation_list_invalid",
        "worker_pending",
        "worker_key_rotation",
        "insecure_transport",
        # HA as the witness of the trust log (log_witness.py).
        "trust_log_forked",
        # The sidecar's alert kinds (ALERT_KINDS in shared/src/notifications.ts), raised by fleet_events.py.
        "worker_offline",
        "builds_failing",
        "config_push_failed",
    }
    for key in used:
        assert key in EN["exceptions"] or key in EN["issues"], key
    assert set(EN["exceptions"]) <= used, set(EN["exceptions"]) - used
    assert set(EN["issues"]) == issues
    for key, value in EN["exceptions"].items():
        assert value["message"], key


def test_config_flow_translations() -> None:
    """Steps, errors and abort reasons used by the flows are translated."""
    source = "".join(
        (INTEGRATION / f).read_text() for f in ("config_flow.py", "hassio_discovery.py")
    )
    steps = set(re.findall(r'step_id="(\w+)"', source))
    assert steps == {
        "user",
        "tls_confirm",
        "zeroconf_confirm",
        "reauth_confirm",
        "reauth_new_key",
        "hassio_confirm",
        "reconfigure",
        "init",
    }
    for step in steps - {"init"}:
        config_step = EN["config"]["step"][step]
        assert config_step["title"]
        for field in config_step.get("data", {}):
            assert config_step["data_description"][field], (step, field)
    assert EN["options"]["step"]["init"]["data_description"]
    errors = set(re.findall(r'\{(?:CONF_\w+|"base"): "(\w+)"\}', source))
    assert errors == set(EN["config"]["error"]), errors ^ set(EN["config"]["error"])
    aborts = (
        set(re.findall(r'reason="(\w+)"', source))
        | set(ABORT_REASONS.values())  # the add-on discovery's probe errors, and its fallback
        | {"unknown", "already_configured", "reauth_successful", "reconfigure_successful"}
    )
    assert aborts == set(EN["config"]["abort"])


def test_services_yaml_translations_and_icons() -> None:
    """services.yaml ↔ translations ↔ icons ↔ the services the code registers."""
    source = (INTEGRATION / "services.py").read_text()
    registered = set(re.findall(r'^SERVICE_\w+ = "(\w+)"', source, re.MULTILINE))
    assert set(SERVICES) == registered == set(EN["services"]) == set(ICONS["services"])
    for service, spec in SERVICES.items():
        translated = EN["services"][service]
        assert translated["name"]
        assert translated["description"]
        fields = set((spec or {}).get("fields", {}))
        assert fields == set(translated.get("fields", {})), service
        for field in fields:
            assert translated["fields"][field]["name"], (service, field)
            assert translated["fields"][field]["description"], (service, field)
            selector = spec["fields"][field].get("selector", {})
            if key := (selector.get("select") or {}).get("translation_key"):
                assert set(EN["selector"][key]["options"]) == set(selector["select"]["options"])


async def test_home_assistant_loads_descriptions_and_translations(
    hass: HomeAssistant,
) -> None:
    """HA itself parses services.yaml and the translation file."""
    assert await async_setup_component(hass, DOMAIN, {})
    descriptions = await async_get_all_descriptions(hass)
    assert set(descriptions[DOMAIN]) == set(SERVICES)
    assert "target" in descriptions[DOMAIN]["compile"]
    assert descriptions[DOMAIN]["compile"]["fields"]["upload"]["default"] is True
    for category in ("exceptions", "entity", "services", "config", "issues"):
        translations = await async_get_translations(hass, "en", category, [DOMAIN])
        assert any(k.startswith(f"component.{DOMAIN}.{category}.") for k in translations)


def test_platforms_set_parallel_updates() -> None:
    """Rule parallel-updates: each platform module says how many updates run at once."""
    for platform in PLATFORMS:
        assert re.search(
            r"^PARALLEL_UPDATES = \d+$", (INTEGRATION / f"{platform}.py").read_text(), re.M
        )


def test_hacs_json() -> None:
    """HACS accepts only its known keys; the minimum HA version is one we test."""
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert set(hacs) <= HACS_KEYS
    assert hacs["name"]
    assert AwesomeVersion(hacs["homeassistant"]) <= AwesomeVersion("2026.2.3")
    if hacs.get("zip_release"):
        assert hacs.get("filename")


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize(("name", "size"), [("icon.png", 256), ("icon@2x.png", 512)])
def test_brand_images(name: str, size: int) -> None:
    """Local brand images (HA 2026.3+ serves them; HACS' brands check accepts them)."""
    assert _png_size(INTEGRATION / "brand" / name) == (size, size)


def test_quality_scale_checklist() -> None:
    """Every rule of every tier is listed; exemptions say why."""
    rules: dict[str, Any] = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text())[
        "rules"
    ]
    expected = {rule for tier in QUALITY_RULES.values() for rule in tier}
    assert set(rules) == expected, set(rules) ^ expected
    for rule, value in rules.items():
        if isinstance(value, dict):
            assert value["status"] in ("done", "todo", "exempt"), rule
            if value["status"] == "exempt":
                assert value.get("comment"), rule
        else:
            assert value in ("done", "todo"), rule
