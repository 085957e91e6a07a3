"""The sidecar's JSON objects as the integration reads them (shared/src/devices.ts, jobs.ts, workers.ts, events.ts).

Keys keep the sidecar's camelCase. `tests/test_models.py` checks every TypedDict here against the
sidecar's OpenAPI document (and the snapshot against the events schema): the same keys, the same
required ones, the same JSON types. Nested objects the integration does not read stay
`dict[str, Any]`.
"""

from typing import Any, NotRequired, TypedDict


class FirmwareImage(TypedDict):
    """One image of a build (`Job.firmware`)."""

    name: str
    sha256: str
    size: int
    kind: str


class LastBuild(TypedDict):
    """The device's last build (`Device.lastBuild`)."""

    jobId: int
    action: str
    state: str
    finishedAt: str | None
    firmwareSha256: str | None
    esphomeVersion: str | None


class LastFlash(TypedDict):
    """The firmware Forge last flashed to the device: what it believes is running."""

    jobId: int
    finishedAt: str | None
    configHash: str | None
    esphomeVersion: str | None
    firmwareSha256: str | None


class Device(TypedDict):
    """One device of the config folder, with its build, flash, trust and presence state."""

    id: str
    file: str
    name: str | None
    friendlyName: str | None
    platform: str | None
    board: str | None
    variant: NotRequired[str | None]
    project: dict[str, Any] | None
    pinnedVersion: str | None
    tags: list[str]
    mac: str | None
    address: str | None
    addressSource: str | None
    resolvedBy: str | None
    configHash: str | None
    error: str | None
    outdated: bool
    lastBuild: LastBuild | None
    # The ESPHome version Forge would build with: the device's pin, else the fleet default.
    targetVersion: str | None
    lastFlash: LastFlash | None
    storedFirmware: NotRequired[dict[str, Any] | None]
    trust: dict[str, Any]
    trustPolicy: NotRequired[str | None]
    online: NotRequired[bool | None]
    lastSeen: NotRequired[str | None]
    presence: NotRequired[dict[str, Any] | None]
    running: NotRequired[dict[str, Any] | None]
    deepSleep: NotRequired[bool]
    configHistory: NotRequired[dict[str, Any] | None]
    validation: NotRequired[dict[str, Any] | None]
    signedOta: NotRequired[dict[str, Any] | None]
    otaSigning: NotRequired[dict[str, Any] | None]
    updatedAt: str


class Job(TypedDict):
    """One job: validate, compile, compile_upload or upload of one device."""

    id: int
    deviceId: str
    action: str
    state: str
    priority: str
    params: dict[str, Any]
    source: str
    attempts: int
    maxAttempts: int
    createdAt: str
    updatedAt: str
    startedAt: str | None
    finishedAt: str | None
    workerId: str | None
    dispatchReason: str | None
    cancelRequested: bool
    phase: str | None
    error: str | None
    configHash: str | None
    esphomeVersion: str | None
    firmware: list[FirmwareImage]
    logBytes: int
    logTruncated: bool
    progress: float | None
    durationMs: int | None
    validationErrors: list[dict[str, Any]]
    trust: NotRequired[dict[str, Any] | None]
    configCommit: NotRequired[str | None]
    blockedReason: NotRequired[str | None]
    waitingUntil: NotRequired[str | None]
    # A flashing job's step (build, then flash), the approved image its flash sends, who built it.
    step: NotRequired[str | None]
    flashSha256: NotRequired[str | None]
    builtBy: NotRequired[str | None]


class Worker(TypedDict):
    """One build worker (the built-in local one included)."""

    id: str
    name: str
    online: bool
    local: bool
    # pending (waits for an admin), approved, rejected or revoked.
    enrolment: str
    keyFingerprint: str | None
    pendingKey: dict[str, Any] | None
    slots: int
    busySlots: int
    tags: list[str]
    tagsLocked: bool
    platform: str | None
    system: dict[str, Any] | None
    version: str | None
    esphomeVersions: list[str]
    activeJobIds: list[int]
    connectedAt: str | None
    lastSeenAt: str | None
    outdated: NotRequired[bool]
    problem: NotRequired[str | None]
    diskFreeBytes: NotRequired[int | None]
    diskLow: NotRequired[bool]
    # builder (default) and/or flasher, set by an admin; the built-in worker is both.
    roles: NotRequired[list[str]]


class Snapshot(TypedDict):
    """The events stream's `snapshot`: the whole state, sent first and after every reconnect."""

    type: str
    seq: int
    devices: list[Device]
    jobs: list[Job]
    workers: list[Worker]
    schedules: NotRequired[list[dict[str, Any]]]
    alerts: NotRequired[list[dict[str, Any]]]
    esphomeRelease: NotRequired[dict[str, Any] | None]
    workspace: NotRequired[dict[str, Any]]
