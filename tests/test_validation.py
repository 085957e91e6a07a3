"""Structured errors out of ESPHome validate logs."""

from __future__ import annotations

from custom_components.esphome_forge.validation import job_validation_errors, parse_validation_log

REAL_ESPHOME = """\x1b[32mINFO ESPHome 2026.10.0\x1b[0m
\x1b[32mINFO Reading configuration /config/garage.yaml...\x1b[0m
\x1b[1;31mFailed config\x1b[0m

\x1b[1;31msensor.template: [source garage.yaml:12]\x1b[0m
  \x1b[1;31mComponent not found: templat.\x1b[0m
  platform: templat
  name: Door
wifi: [source garage.yaml:20]
  \x1b[1;31mssid is a required option.\x1b[0m
"""


def test_parse_failed_config_blocks() -> None:
    """One error per block, ANSI stripped, config echo lines left out."""
    assert parse_validation_log(REAL_ESPHOME) == [
        {
            "message": "Component not found: templat.",
            "path": "sensor.template",
            "file": "garage.yaml",
            "line": 12,
        },
        {
            "message": "ssid is a required option.",
            "path": "wifi",
            "file": "garage.yaml",
            "line": 20,
        },
    ]


def test_parse_error_lines() -> None:
    """Files ESPHome cannot read report `ERROR …` lines."""
    log = (
        "INFO Reading configuration x.yaml...\nERROR Error while reading config: bad indentation\n"
    )
    assert parse_validation_log(log) == [
        {
            "message": "Error while reading config: bad indentation",
            "path": None,
            "file": None,
            "line": None,
        }
    ]


def test_valid_log_has_no_errors() -> None:
    """A valid config's log gives nothing."""
    assert parse_validation_log("INFO Configuration is valid!\n") == []


def test_sidecar_summary_is_the_fallback() -> None:
    """Without ESPHome's blocks, the sidecar's `[forge] validation errors` summary is used."""
    log = (
        "INFO Reading configuration garage.yaml...\n"
        "\n[forge] validation errors:\n"
        "  garage.yaml:3: Component not found.\n"
        "  ?:?: Something else\n"
    )
    assert parse_validation_log(log) == [
        {"message": "Component not found.", "path": None, "file": "garage.yaml", "line": 3},
        {"message": "Something else", "path": None, "file": None, "line": None},
    ]
    # With ESPHome's blocks present, those win (they also name the config path).
    assert parse_validation_log(REAL_ESPHOME + log)[0]["path"] == "sensor.template"


def test_job_errors_come_first_and_the_log_only_for_older_sidecars() -> None:
    """`validationErrors` on the Job is the answer, even when empty; absent means an older sidecar."""
    job = {
        "validationErrors": [
            {"file": "garage.yaml", "line": 12, "message": "sensor.template: Component not found."},
            {"file": None, "line": None, "message": ""},
        ]
    }
    assert job_validation_errors(job) == [
        {
            "message": "sensor.template: Component not found.",
            "path": None,
            "file": "garage.yaml",
            "line": 12,
        },
        {"message": "invalid configuration", "path": None, "file": None, "line": None},
    ]
    assert job_validation_errors({"validationErrors": []}) == []
    assert job_validation_errors({"state": "failed"}) is None
