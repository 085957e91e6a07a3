"""The integration's OTA image rule matches the sidecar's (shared/test-vectors/ota-image.json)."""

import json
from pathlib import Path

import pytest

from custom_components.esphome_forge.const import ota_image

VECTORS = json.loads(
    (Path(__file__).parent.parent / "shared" / "test-vectors" / "ota-image.json").read_text()
)


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"])
def test_ota_image_matches_shared_vectors(case: dict) -> None:
    images = [{"name": f"f{i}.bin", "kind": kind} for i, kind in enumerate(case["images"])]
    chosen = ota_image(images)
    assert (None if chosen is None else images.index(chosen)) == case["expect"]
