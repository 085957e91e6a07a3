"""Response data of the services: the sidecar's JSON re-keyed into snake_case service answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from homeassistant.core import ServiceResponse

from .const import trust_option
from .entry_data import ForgeConfigEntry

NO_LOCATION: dict[str, Any] = {"path": None, "file": None, "line": None}


def response(**fields: Any) -> ServiceResponse:
    """Response data: JSON-serialisable by construction (the sidecar's JSON, re-keyed)."""
    return cast(ServiceResponse, fields)


def created_jobs(entry: ForgeConfigEntry, result: dict[str, Any]) -> list[dict[str, Any]]:
    """The jobs of a CreateJobsResponse, as `compile` answers them."""
    return [
        {
            "job_id": job["jobId"],
            "device": job["deviceId"],
            "coalesced": job["coalesced"],
            "config_entry_id": entry.entry_id,
        }
        for job in result["jobs"]
    ]


def skipped_devices(entry: ForgeConfigEntry, result: dict[str, Any]) -> list[dict[str, Any]]:
    """The devices a CreateJobsResponse skipped, and why."""
    return [
        {"device": s["deviceId"], "reason": s["reason"], "config_entry_id": entry.entry_id}
        for s in result["skipped"]
    ]


def cancelled_job(entry: ForgeConfigEntry, job: Mapping[str, Any]) -> dict[str, Any]:
    """One job `cancel` acted on."""
    return {
        "job_id": job["id"],
        "device": job["deviceId"],
        "state": job["state"],
        "config_entry_id": entry.entry_id,
    }


def validation_result(
    node: str,
    job_id: int | None,
    state: str | None,
    valid: bool,
    errors: list[dict[str, Any]],
) -> ServiceResponse:
    """What `validate` answers."""
    return response(valid=valid, device=node, job_id=job_id, state=state, errors=errors)


def plain_error(message: str) -> dict[str, Any]:
    """A validation error without a location."""
    return {"message": message, **NO_LOCATION}


def trust_verdict(verdict: dict[str, Any]) -> dict[str, Any]:
    """A sidecar TrustVerdict, re-keyed; the state named as the trust sensor names it."""
    return {
        "state": trust_option(verdict["state"]),
        "reason": verdict.get("reason"),
        "signer": verdict.get("signer"),
        "build_sequence": verdict.get("buildSequence"),
        "checked_at": verdict.get("checkedAt"),
        "firmware_sha256": verdict.get("firmwareSha256"),
    }


def revocation_result(kind: str, value: str, result: dict[str, Any]) -> ServiceResponse:
    """What `revoke` answers: the new revocation list's version, expiry and size."""
    return response(
        revoked=True,
        kind=kind,
        value=value,
        version=result["version"],
        expires_at=result["expiresAt"],
        entries=len(result["entries"]),
    )
