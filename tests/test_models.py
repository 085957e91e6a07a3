"""models.py's TypedDicts say what the sidecar really sends.

The sidecar's OpenAPI document is generated from the route table (`buildOpenApiDocument`, the same
function `GET /openapi.json` serves) and the snapshot's schema from the events schema; each TypedDict
must have the same keys, the same required ones and the same JSON types, nested TypedDicts too.
"""

from __future__ import annotations

import json
import subprocess
import types
from typing import (
    Any,
    NotRequired,
    Required,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

import pytest

from custom_components.esphome_forge import models

from .sidecar import REPO, find_node

SCHEMAS_JS = """
const shared = await import(new URL("shared/dist/index.js", `file://${process.cwd()}/`));
const { z } = await import("zod");
const doc = shared.buildOpenApiDocument("test");
const body = (path, status = "200") =>
  doc.paths[`/api/v1${path}`].get.responses[status].content["application/json"].schema;
const snapshot = z.toJSONSchema(shared.SnapshotEvent, { io: "output", unrepresentable: "any" });
process.stdout.write(JSON.stringify({
  Device: body("/devices/{id}"),
  Job: body("/jobs/{id}"),
  Worker: body("/workers").properties.workers.items,
  Snapshot: snapshot,
}));
"""

_PYTHON_JSON_TYPE = {str: "string", int: "integer", float: "number", bool: "boolean"}


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    out = subprocess.run(
        [find_node(), "--input-type=module", "-e", SCHEMAS_JS],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(out.stdout)


def _json_types(schema: dict[str, Any]) -> set[str]:
    """The JSON types a schema admits (`type`, a list of them, or an anyOf of such)."""
    if "anyOf" in schema:
        return set().union(*(_json_types(s) for s in schema["anyOf"]))
    kind = schema.get("type")
    if kind is None:
        return {"any"}
    return set(kind) if isinstance(kind, list) else {kind}


def _object_schema(schema: dict[str, Any]) -> dict[str, Any] | None:
    if schema.get("type") == "object":
        return schema
    for option in schema.get("anyOf", []):
        if option.get("type") == "object":
            return option
    return None


def _python_types(annotation: Any) -> set[str]:
    origin = get_origin(annotation)
    if origin in (Required, NotRequired):
        return _python_types(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return set().union(*(_python_types(a) for a in get_args(annotation)))
    if annotation is type(None):
        return {"null"}
    if annotation is Any:
        return {"any"}
    if origin is list:
        return {"array"}
    if origin is dict or is_typeddict(annotation):
        return {"object"}
    return {_PYTHON_JSON_TYPE[annotation]}


def _typeddict_in(annotation: Any) -> Any:
    for arg in (annotation, *get_args(annotation)):
        if is_typeddict(arg):
            return arg
        if get_origin(arg) is list and is_typeddict(get_args(arg)[0]):
            return get_args(arg)[0]
    return None


def _compare(typed: Any, schema: dict[str, Any], where: str) -> list[str]:
    props: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    hints = get_type_hints(typed)
    problems = [
        f"{where}: the sidecar sends `{key}`, the TypedDict lacks it"
        for key in sorted(set(props) - set(hints))
    ]
    problems += [
        f"{where}: `{key}` is not in the sidecar's schema"
        for key in sorted(set(hints) - set(props))
    ]
    for key in sorted(set(hints) & set(props)):
        is_required = key in typed.__required_keys__
        if is_required != (key in required):
            problems.append(
                f"{where}.{key}: required here {is_required}, in the schema {not is_required}"
            )
        want = _json_types(props[key])
        have = _python_types(hints[key])
        if "any" not in have and want != have:
            problems.append(f"{where}.{key}: JSON types {sorted(want)} here {sorted(have)}")
        nested = _typeddict_in(hints[key])
        if nested is not None:
            item = props[key]
            if "array" in want:
                item = next(s for s in [item, *item.get("anyOf", [])] if s.get("type") == "array")
                item = item["items"]
            if (obj := _object_schema(item)) is not None:
                problems.extend(_compare(nested, obj, f"{where}.{key}"))
    return problems


@pytest.mark.parametrize("name", ["Device", "Job", "Worker", "Snapshot"])
def test_typeddict_matches_the_sidecar_schema(schemas: dict[str, Any], name: str) -> None:
    assert _compare(getattr(models, name), schemas[name], name) == []


def test_the_check_catches_drift(schemas: dict[str, Any]) -> None:
    """A key the TypedDict lacks, a missing one and a wrong type are each reported."""
    device = json.loads(json.dumps(schemas["Device"]))
    device["properties"]["brandNew"] = {"type": "string"}
    device["required"].append("brandNew")
    del device["properties"]["mac"]
    device["properties"]["outdated"] = {"type": ["boolean", "null"]}
    problems = _compare(models.Device, device, "Device")
    assert any("brandNew" in p for p in problems)
    assert any("`mac`" in p for p in problems)
    assert any("Device.outdated" in p for p in problems)
