// Output shapes as ESPHome 2026.6 prints them (captured from the real CLI).
import { describe, expect, it } from "vitest";
import { parseConfigErrors, resolvedYaml, stripAnsi } from "./esphome-output.js";

const DIR = "/cfg";

describe("stripAnsi", () => {
  it("removes real escape codes and the literal hidden-secret codes ESPHome prints", () => {
    expect(stripAnsi("    - ssid: \\033[8mliteral\\033[28m")).toBe("    - ssid: literal");
    expect(stripAnsi("\u001b[1;31mFailed config\u001b[0m")).toBe("Failed config");
  });
});

describe("parseConfigErrors", () => {
  it("reads a [source file:line] block, keeping the message and not the echoed config", () => {
    const stdout =
      "Failed config\n\nesp8266: [source common/bad_pkg.yaml:2]\n  board: d1_mini\n  \n  [frobnicate] is an invalid option for [esp8266]. Please check the indentation.\n  frobnicate: 3\n";
    expect(parseConfigErrors(stdout, "INFO ESPHome 2026.6.5\n", DIR)).toEqual([
      {
        file: "common/bad_pkg.yaml",
        line: 2,
        message: "esp8266: [frobnicate] is an invalid option for [esp8266]. Please check the indentation.",
      },
    ]);
  });

  it("reads an include error with its In: location", () => {
    const stdout =
      "Failed config\n\nError including file 'nofile.yaml': Error reading file nofile.yaml: [Errno 2] No such file or directory: 'nofile.yaml'\nIn: wifi->password in ms2.yaml 7:3\n\n";
    const [e] = parseConfigErrors(stdout, "", DIR);
    expect(e).toMatchObject({ file: "ms2.yaml", line: 7 });
    expect(e!.message).toMatch(/^Error including file 'nofile.yaml'.*\(at wifi->password\)$/);
  });

  it("reads a YAML syntax error from stderr, at the position of the problem", () => {
    const stderr =
      "INFO ESPHome 2026.6.5\nINFO Reading configuration broken.yaml...\nERROR Error while reading config: Invalid YAML syntax:\n\nwhile parsing a flow sequence\n  in \"/cfg/broken.yaml\", line 3, column 8\nexpected ',' or ']', but got ':'\n  in \"/cfg/broken.yaml\", line 4, column 8\n";
    expect(parseConfigErrors("", stderr, DIR)).toEqual([
      {
        file: "broken.yaml",
        line: 4,
        message: "Invalid YAML syntax: while parsing a flow sequence expected ',' or ']', but got ':'",
      },
    ]);
  });

  it("keeps a message without location as it is", () => {
    expect(parseConfigErrors("Failed config\n\nPlatform not found: 'sensor.nosuch'\n", "", DIR)).toEqual([
      { file: null, line: null, message: "Platform not found: 'sensor.nosuch'" },
    ]);
  });
});

describe("resolvedYaml", () => {
  it("returns what precedes a Failed config report", () => {
    expect(resolvedYaml("esphome:\n  name: x\nFailed config\n\nfoo")).toBe("esphome:\n  name: x\n");
  });
});
