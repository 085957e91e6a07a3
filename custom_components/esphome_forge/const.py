"""Constants for the Forge for ESPHome integration."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import logging
from typing import Any, Final

DOMAIN: Final = "esphome_forge"
LOGGER = logging.getLogger(__package__)

# The REST API version this integration speaks (`apiVersion` in /api/v1/health and /api/v1/info).
SUPPORTED_API_VERSION: Final = 1
PRODUCT_NAME: Final = "Forge for ESPHome"
API_PREFIX: Final = "/api/v1"

# Zeroconf TXT keys the sidecar advertises with `_esphome-forge._tcp` (shared/src/discovery.ts).
ZEROCONF_TXT_ID: Final = "id"  # the sidecar's instance id: the entry's unique id
ZEROCONF_TXT_API: Final = "api"  # REST API version, as a string
ZEROCONF_TXT_VERSION: Final = "version"  # sidecar version
ZEROCONF_TXT_PATH: Final = "path"  # where the REST API lives on that host and port
ZEROCONF_TXT_FP: Final = (
    "fp"  # SHA-256 (SPKI, hex) of the sidecar's self-signed TLS key: https, pinned
)

CONF_URL: Final = "url"
CONF_TOKEN: Final = "token"  # noqa: S105 (the config key, not a secret)
# The sidecar's TLS key fingerprint the entry pins (absent: plain http on loopback, or a CA-issued certificate).
CONF_FINGERPRINT: Final = "fingerprint"

# Options.
CONF_REPAIR_GRACE_MINUTES: Final = "repair_grace_minutes"
CONF_VALIDATE_TIMEOUT: Final = "validate_timeout"
CONF_DEFAULT_PRIORITY: Final = "default_priority"
DEFAULT_REPAIR_GRACE_MINUTES: Final = 5
DEFAULT_VALIDATE_TIMEOUT: Final = 300
DEFAULT_SERVICE_PRIORITY: Final = "automation"

# Reconnect backoff of the events WebSocket (doubles per failed attempt, reset once a snapshot arrives).
BACKOFF_INITIAL: Final = 1.0
BACKOFF_MAX: Final = 60.0
# How long setup waits for the first snapshot before it gives up (ConfigEntryNotReady).
FIRST_SNAPSHOT_TIMEOUT: Final = 20.0
REQUEST_TIMEOUT: Final = 15.0
WS_HEARTBEAT: Final = 30.0

EVENT_JOB_FINISHED: Final = "esphome_forge_job_finished"
EVENT_SCHEDULE_RAN: Final = "esphome_forge_schedule_ran"
EVENT_ESPHOME_RELEASE: Final = "esphome_forge_esphome_release"
EVENT_DEVICE_ONLINE: Final = "esphome_forge_device_online"
EVENT_DEVICE_OFFLINE: Final = "esphome_forge_device_offline"

ISSUE_UNREACHABLE: Final = "sidecar_unreachable"
# The sidecar's alerts (worker_offline, builds_failing), one repairs issue each (issue id prefix).
ISSUE_ALERT_PREFIX: Final = "alert"
# Content-trust problems the sidecar reports in GET /trust/status (issue id prefixes).
ISSUE_TRUST_LOG: Final = "trust_log_inconsistent"
ISSUE_REVOCATION_LIST: Final = "revocation_list"
# HA witnesses the log: a log that no longer extends the checkpoint HA kept (issue id prefix).
ISSUE_LOG_WITNESS: Final = "trust_log_forked"
# A burst of device trust changes (a revocation re-announces every device) → one status fetch.
TRUST_STATUS_DEBOUNCE: Final = 2.0

# Wire values (shared/src/jobs.ts).
JOB_ACTIONS: Final = ("validate", "compile", "compile_upload", "upload")
COMPILE_ACTIONS: Final = ("compile", "compile_upload")
FLASH_ACTIONS: Final = ("compile_upload", "upload")
BUILD_ACTIONS: Final = ("compile", "compile_upload", "upload")
JOB_PRIORITIES: Final = ("interactive", "automation", "scheduled", "bulk")
ACTIVE_JOB_STATES: Final = ("queued", "blocked", "waiting_for_device", "running")
TERMINAL_JOB_STATES: Final = ("succeeded", "failed", "cancelled", "timed_out")
# The sidecar's trust states (TRUST_STATES in shared/src/trust-verdict.ts).
TRUST_STATES: Final = (
    "unknown",
    "unsigned",
    "verified",
    "device_enforced",
    "unknown_signer",
    "invalid",
    "revoked",
    "stale",
)
# HA reserves the state `unknown` for "no value", so the sidecar's `unknown` (no verdict could be
# reached, e.g. Forge has not flashed the device) is `not_checked` wherever HA shows a trust state.
TRUST_NOT_CHECKED: Final = "not_checked"
TRUST_OPTIONS: Final = [TRUST_NOT_CHECKED, *(s for s in TRUST_STATES if s != "unknown")]
# Running firmware in one of these states is never "up to date": the update entity offers the
# install that replaces it.
TRUST_REPLACE_STATES: Final = ("revoked", "invalid", "stale")
# Verified firmware; `device_enforced` also means the device itself accepts only Forge-signed images.
TRUST_VERIFIED_STATES: Final = ("verified", "device_enforced")
BUILD_STATUS_OPTIONS: Final = [
    "idle",
    "queued",
    "blocked",
    "waiting_for_device",
    "running",
    "succeeded",
    "failed",
    "cancelled",
]

# Frontend (the card bundle built from card/ and committed under frontend/).
FRONTEND_URL_BASE: Final = "/esphome_forge_static"
CARD_FILENAME: Final = "esphome-forge-card.js"

# ESPHome releases have a changelog page per minor release.
ESPHOME_CHANGELOG_URL: Final = "https://esphome.io/changelog/{version}.html"

# HA 2026.8 made devices belong to exactly one config entry; from then on we link to the ESPHome
# device with `entity.device_entry` instead of merging into it through a MAC connection.
SINGLE_OWNER_DEVICES_SINCE: Final = (2026, 8)


def trust_option(state: str) -> str:
    """The HA-facing name of a sidecar trust state (the sensor's option, service responses)."""
    return TRUST_NOT_CHECKED if state == "unknown" else state


def ota_image[T: Mapping[str, Any]](images: Sequence[T]) -> T | None:
    """The image of a build an OTA sends (otaImage in shared/src/jobs.ts).

    The `ota` image, else the first image that is not a factory image; never a factory image.
    Both are checked against shared/test-vectors/ota-image.json.
    """
    for image in images:
        if image.get("kind") == "ota":
            return image
    return next((i for i in images if i.get("kind") != "factory"), None)
