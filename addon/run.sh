#!/bin/sh
# The add-on's entry point: everything (reading /data/options.json, asking the Supervisor for the
# ingress port, starting the sidecar, announcing it to Home Assistant) is `esphome-forge ha-addon`,
# so it is the same code, tested the same way, inside and outside the container.
set -eu
exec esphome-forge ha-addon
