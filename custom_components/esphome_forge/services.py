"""Services (actions) of Forge for ESPHome, registered once in `async_setup`.

Targets are HA devices, areas, floors and labels (resolved to the ESPHome nodes our entities sit
on), Forge tags, `all` or `outdated`. Each service answers with response data; wrong input raises a
translated `ServiceValidationError`, sidecar failures a translated `HomeAssistantError`.
"""

from __future__ import annotations

import re
from typing import Any

import voluptuous as vol

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv

from .api import ForgeApiError
from .const import (
    CONF_DEFAULT_PRIORITY,
    CONF_VALIDATE_TIMEOUT,
    DEFAULT_SERVICE_PRIORITY,
    DEFAULT_VALIDATE_TIMEOUT,
    DOMAIN,
    JOB_PRIORITIES,
    TERMINAL_JOB_STATES,
)
from .entry_data import ForgeConfigEntry
from .helpers import forge_call
from .permissions import admin_only
from .service_responses import (
    cancelled_job,
    created_jobs,
    plain_error,
    response,
    revocation_result,
    skipped_devices,
    trust_verdict,
    validation_result,
)
from .service_targets import (
    ATTR_CONFIG_ENTRY_ID,
    call_entries,
    has_target,
    invalid,
    one_node,
    single_entry,
    targeted_nodes,
)
from .validation import job_validation_errors, parse_validation_log
from .workspace_client import WorkspaceClient, actor_headers

SERVICE_COMPILE = "compile"
SERVICE_CANCEL = "cancel"
SERVICE_VALIDATE = "validate"
SERVICE_VERIFY_FIRMWARE = "verify_firmware"
SERVICE_REVOKE = "revoke"
SERVICE_RESTORE_CONFIG = "restore_config"

ATTR_TAG = "tag"
ATTR_ALL = "all"
ATTR_OUTDATED = "outdated"
ATTR_UPLOAD = "upload"
ATTR_WHEN_ONLINE = "when_online"
ATTR_ESPHOME_VERSION = "esphome_version"
ATTR_WORKER = "worker"
ATTR_PRIORITY = "priority"
ATTR_JOB_ID = "job_id"
ATTR_TIMEOUT = "timeout"
ATTR_ARTIFACT = "artifact"
ATTR_SIGNER = "signer"
ATTR_REASON = "reason"
ATTR_COMMIT = "commit"

ESPHOME_VERSION_RE = re.compile(r"^\d{4}\.\d{1,2}\.\d+(?:[a-z]+\d*)?$|^dev$")
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9_.:-]*$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")

_TARGET_FIELDS = {
    **cv.ENTITY_SERVICE_FIELDS,
    vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
}

COMPILE_SCHEMA = vol.Schema(
    {
        **_TARGET_FIELDS,
        vol.Optional(ATTR_TAG): vol.All(cv.ensure_list, [cv.string]),
        vol.Optional(ATTR_ALL, default=False): cv.boolean,
        vol.Optional(ATTR_OUTDATED, default=False): cv.boolean,
        vol.Optional(ATTR_UPLOAD, default=True): cv.boolean,
        vol.Optional(ATTR_WHEN_ONLINE, default=False): cv.boolean,
        vol.Optional(ATTR_ESPHOME_VERSION): cv.string,
        vol.Optional(ATTR_WORKER): cv.string,
        vol.Optional(ATTR_PRIORITY): vol.In(JOB_PRIORITIES),
    }
)
CANCEL_SCHEMA = vol.Schema(
    {
        **_TARGET_FIELDS,
        vol.Optional(ATTR_JOB_ID): vol.All(cv.ensure_list, [cv.positive_int]),
    }
)
VALIDATE_SCHEMA = vol.Schema(
    {
        **_TARGET_FIELDS,
        vol.Optional(ATTR_TIMEOUT): vol.All(vol.Coerce(int), vol.Range(min=1, max=3600)),
    }
)
VERIFY_SCHEMA = vol.Schema(_TARGET_FIELDS)
RESTORE_CONFIG_SCHEMA = vol.Schema(
    {
        **_TARGET_FIELDS,
        vol.Required(ATTR_COMMIT): vol.All(cv.string, vol.Match(r"^[0-9a-f]{7,64}$")),
    }
)
REVOKE_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_ARTIFACT): cv.string,
        vol.Optional(ATTR_SIGNER): cv.string,
        vol.Required(ATTR_REASON): vol.All(cv.string, vol.Length(min=1, max=500)),
    }
)


async def _compile(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    data = call.data
    tags: list[str] = data.get(ATTR_TAG, [])
    if not (has_target(call) or tags or data[ATTR_ALL] or data[ATTR_OUTDATED]):
        raise invalid("no_target")
    if bad := [t for t in tags if not TAG_RE.match(t)]:
        raise invalid("invalid_tag", tag=", ".join(bad))
    if data[ATTR_WHEN_ONLINE] and not data[ATTR_UPLOAD]:
        raise invalid("when_online_needs_upload")
    version = data.get(ATTR_ESPHOME_VERSION)
    if version is not None and not ESPHOME_VERSION_RE.match(version):
        raise invalid("invalid_esphome_version", version=version)
    entries = call_entries(hass, call)
    targeted = targeted_nodes(hass, call, entries)

    plan: list[tuple[ForgeConfigEntry, list[str], dict[str, Any]]] = []
    unknown_tags = set(tags)
    for entry in entries:
        fleet = entry.runtime_data.coordinator.data
        nodes: set[str] = set(targeted.get(entry.entry_id, set()))
        if data[ATTR_ALL]:
            nodes.update(fleet.devices)
        if data[ATTR_OUTDATED]:
            nodes.update(d["id"] for d in fleet.devices.values() if d.get("outdated"))
        for tag in tags:
            tagged = {d["id"] for d in fleet.devices.values() if tag in d.get("tags", [])}
            if tagged:
                unknown_tags.discard(tag)
            nodes.update(tagged)
        params: dict[str, Any] = {}
        if version is not None:
            params["esphomeVersion"] = version
        if data[ATTR_WHEN_ONLINE]:
            # Armed: the build runs now, each flash waits until its device is online.
            params["whenOnline"] = True
        if worker := data.get(ATTR_WORKER):
            match = next(
                (w["id"] for w in fleet.workers.values() if worker in (w["id"], w.get("name"))),
                None,
            )
            if match is None:
                raise invalid("unknown_worker", worker=worker)
            params["workerId"] = match
        if nodes:
            plan.append((entry, sorted(nodes), params))
    if unknown_tags and not (data[ATTR_ALL] or data[ATTR_OUTDATED]):
        raise invalid("unknown_tag", tag=", ".join(sorted(unknown_tags)))
    if not plan:
        if data[ATTR_OUTDATED] and not (has_target(call) or tags or data[ATTR_ALL]):
            # Nothing is outdated: a valid request with nothing to do.
            return response(job_ids=[], jobs=[], skipped=[])
        raise invalid("no_devices_matched")

    action = "compile_upload" if data[ATTR_UPLOAD] else "compile"
    jobs: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for entry, node_ids, params in plan:
        priority = data.get(ATTR_PRIORITY) or entry.options.get(
            CONF_DEFAULT_PRIORITY, DEFAULT_SERVICE_PRIORITY
        )
        async with forge_call(entry):
            result = await entry.runtime_data.client.create_jobs(
                action, node_ids, priority=priority, params=params, source="ha"
            )
        jobs.extend(created_jobs(entry, result))
        skipped.extend(skipped_devices(entry, result))
    return response(job_ids=[j["job_id"] for j in jobs], jobs=jobs, skipped=skipped)


async def _cancel(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    job_ids: list[int] = call.data.get(ATTR_JOB_ID, [])
    if not job_ids and not has_target(call):
        raise invalid("no_target")
    cancelled: list[dict[str, Any]] = []
    if job_ids:
        entry = single_entry(hass, call)
        for job_id in job_ids:
            try:
                async with forge_call(entry):
                    job = await entry.runtime_data.client.cancel_job(job_id)
            except HomeAssistantError as err:
                cause = err.__cause__
                if isinstance(cause, ForgeApiError) and cause.status == 404:
                    raise invalid("unknown_job", job_id=str(job_id)) from cause
                if isinstance(cause, ForgeApiError) and cause.status == 409:
                    raise invalid(
                        "job_not_active", job_id=str(job_id), message=cause.message
                    ) from cause
                raise
            cancelled.append(cancelled_job(entry, job))
    if has_target(call):
        entries = call_entries(hass, call)
        targeted = targeted_nodes(hass, call, entries)
        if not targeted:
            raise invalid("no_devices_matched")
        for entry in entries:
            nodes = targeted.get(entry.entry_id, set())
            fleet = entry.runtime_data.coordinator.data
            active = [
                j
                for j in fleet.jobs.values()
                if j["deviceId"] in nodes and j["state"] not in TERMINAL_JOB_STATES
            ]
            for job in sorted(active, key=lambda j: j["id"]):
                async with forge_call(entry):
                    result = await entry.runtime_data.client.cancel_job(job["id"])
                cancelled.append(cancelled_job(entry, result))
    return response(cancelled=cancelled)


async def _validate(call: ServiceCall) -> ServiceResponse:
    entry, node = one_node(call.hass, call)
    timeout = call.data.get(ATTR_TIMEOUT) or entry.options.get(
        CONF_VALIDATE_TIMEOUT, DEFAULT_VALIDATE_TIMEOUT
    )
    runtime = entry.runtime_data
    async with forge_call(entry):
        result = await runtime.client.create_jobs(
            "validate", [node], priority="interactive", source="ha"
        )
    if not result["jobs"]:
        reason = result["skipped"][0]["reason"] if result["skipped"] else "skipped"
        # The sidecar refuses nodes whose config cannot even be read: that *is* the answer.
        return validation_result(node, None, None, False, [plain_error(reason)])
    job_id = result["jobs"][0]["jobId"]
    try:
        job = await runtime.coordinator.async_wait_job(job_id, timeout)
    except TimeoutError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="validate_timeout",
            translation_placeholders={"job_id": str(job_id), "timeout": str(timeout)},
        ) from err
    valid = job["state"] == "succeeded"
    errors: list[dict[str, Any]] = []
    if not valid:
        structured = job_validation_errors(job)
        if structured is None:
            # A sidecar from before Job.validationErrors: read them from the job log.
            async with forge_call(entry):
                log = await runtime.client.job_log(job_id)
            structured = parse_validation_log(log)
        errors = structured
        if not errors:
            message = job.get("error") or f"validation ended {job['state']}"
            errors = [plain_error(message)]
    return validation_result(node, job_id, job["state"], valid, errors)


async def _verify_firmware(call: ServiceCall) -> ServiceResponse:
    entry, node = one_node(call.hass, call)
    async with forge_call(entry):
        device = await entry.runtime_data.client.device(node)
    trust = device["trust"]
    return response(
        device=node, **trust_verdict(trust["running"]), pending=trust_verdict(trust["pending"])
    )


async def _restore_config(call: ServiceCall) -> ServiceResponse:
    """Bring one device's config back to a commit, as a new commit by the calling user."""
    entry, node = one_node(call.hass, call)
    user = (
        await call.hass.auth.async_get_user(call.context.user_id) if call.context.user_id else None
    )
    headers = actor_headers(user.name if user else "Home Assistant", "ha")
    async with forge_call(entry):
        result = await WorkspaceClient(entry.runtime_data.client).restore(
            node, call.data[ATTR_COMMIT], headers
        )
    return response(device=node, commit=result["commit"], paths=result["paths"])


async def _revoke(call: ServiceCall) -> ServiceResponse:
    data = call.data
    artifact = data.get(ATTR_ARTIFACT)
    signer = data.get(ATTR_SIGNER)
    if (artifact is None) == (signer is None):
        raise invalid("revoke_target_required")
    if artifact is not None and not SHA256_RE.match(artifact):
        raise invalid("invalid_digest", digest=artifact)
    entry = single_entry(call.hass, call)
    kind = "artifact" if artifact is not None else "signer"
    value = str(artifact if artifact is not None else signer)
    # The sidecar's revocation entry: an artifact by digest, a signer by key hint.
    revocation = {"kind": kind, "sha256" if kind == "artifact" else "keyHint": value}
    revocation["reason"] = data[ATTR_REASON]
    try:
        async with forge_call(entry):
            result = await entry.runtime_data.client.revoke([revocation])
    except HomeAssistantError as err:
        cause = err.__cause__
        if (
            isinstance(cause, ForgeApiError)
            and cause.status == 404
            and (cause.message.startswith("no route"))
        ):
            raise invalid("trust_not_enabled") from cause
        raise
    return revocation_result(kind, value, result)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the services (once, from async_setup).

    compile (which flashes by default), cancel, revoke and restore_config change firmware, trust or
    configs: admins only.
    """
    hass.services.async_register(
        DOMAIN,
        SERVICE_COMPILE,
        admin_only(_compile),
        schema=COMPILE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_CANCEL,
        admin_only(_cancel),
        schema=CANCEL_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_VALIDATE,
        _validate,
        schema=VALIDATE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_VERIFY_FIRMWARE,
        _verify_firmware,
        schema=VERIFY_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_RESTORE_CONFIG,
        admin_only(_restore_config),
        schema=RESTORE_CONFIG_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_REVOKE,
        admin_only(_revoke),
        schema=REVOKE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
