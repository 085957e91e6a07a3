"""Structured errors of a validate job.

The sidecar publishes them on the Job itself (`validationErrors`: file, line, message, as the worker
read them from `esphome config`); `job_validation_errors` returns those. Sidecars from before that
field existed only have them in the job log, which `parse_validation_log` reads (the fallback).

ESPHome reports an invalid config as `Failed config` followed by one block per problem:

    sensor.template: [source kitchen.yaml:12]
      Component not found: foo.
      platform: foo

Other failures (unreadable file, YAML syntax) arrive as `ERROR …` lines. The sidecar keeps the log
with its ANSI colours, so those are stripped first. After the build output the sidecar appends its
own summary of the worker's structured errors:

    [forge] validation errors:
      kitchen.yaml:12: Component not found: foo.

ESPHome's blocks are preferred (they also name the config path); the sidecar's summary is the
fallback when the blocks cannot be read.
"""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import Any

ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
BLOCK_RE = re.compile(r"^(?P<path>[^\s:][^:]*): \[source (?P<file>.+?):(?P<line>\d+)\]\s*$")
ERROR_RE = re.compile(r"^(?:ERROR|CRITICAL)\s+(?P<message>.+)$")
FORGE_MARKER = "[forge] validation errors:"
FORGE_LINE_RE = re.compile(r"^\s+(?P<file>.+?):(?P<line>\d+|\?): (?P<message>.+)$")


def _error(
    message: str, path: str | None = None, file: str | None = None, line: int | None = None
) -> dict[str, Any]:
    return {"message": message, "path": path, "file": file, "line": line}


def _parse_esphome(lines: list[str]) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    in_failed = False
    current: dict[str, Any] | None = None
    for raw in lines:
        line = raw.rstrip()
        if line.strip() == "Failed config":
            in_failed = True
            continue
        if in_failed and (m := BLOCK_RE.match(line)):
            current = _error("", m["path"].strip(), m["file"], int(m["line"]))
            errors.append(current)
            continue
        if in_failed and current is not None and line.startswith((" ", "\t")):
            # The first indented text is the message; indented `key: value` lines after it
            # echo the offending config and are left out.
            if (text := line.strip()) and not current["message"]:
                current["message"] = text
            continue
        if m := ERROR_RE.match(line.strip()):
            errors.append(_error(m["message"]))
            current = None
    for error in errors:
        if not error["message"]:
            error["message"] = "invalid configuration"
    return errors


def _parse_forge_summary(lines: list[str]) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    for line in lines:
        if not (m := FORGE_LINE_RE.match(line)):
            break
        errors.append(
            _error(
                m["message"].strip(),
                file=None if m["file"] == "?" else m["file"],
                line=None if m["line"] == "?" else int(m["line"]),
            )
        )
    return errors


def parse_validation_log(log: str) -> list[dict[str, Any]]:
    """Return `[{message, path, file, line}]`, one per problem, in log order."""
    text = ANSI_RE.sub("", log)
    build, _, summary = text.partition(FORGE_MARKER)
    return _parse_esphome(build.splitlines()) or _parse_forge_summary(
        summary.splitlines()[1:] if summary.startswith("\n") else summary.splitlines()
    )


def job_validation_errors(job: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """Structured errors from the Job itself; None when the sidecar does not publish them (older).

    ESPHome's config path (e.g. `sensor.template`) leads the message there; `path` stays None.
    """
    found = job.get("validationErrors")
    if found is None:
        return None
    return [
        _error(e.get("message") or "invalid configuration", None, e.get("file"), e.get("line"))
        for e in found
    ]
