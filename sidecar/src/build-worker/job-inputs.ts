// The files a job writes into its device's build folder: the assignment's `files`, or — when the
// sidecar sent an ESPHome config bundle — the bundle's members, checked against its digest.
import type { AssignMessage } from "@esphome-forge/shared";
import { readBundle } from "../bundle/bundle.js";
import type { ConfigFileInput } from "./build-folder.js";

export interface JobInputs {
  configFile: string;
  files: ConfigFileInput[];
  /** What the log says about where the inputs came from. */
  describe: string;
}

export function jobInputs(a: AssignMessage): JobInputs {
  if (!a.bundle) return { configFile: a.configFile, files: a.files, describe: `${a.files.length} config file(s)` };
  const bytes = Buffer.from(a.bundle.data, "base64");
  const b = readBundle(bytes);
  if (b.digest !== a.bundle.digest) {
    throw new Error(`the config bundle does not match its digest (sent ${a.bundle.digest}, unpacked ${b.digest})`);
  }
  const configFile = b.manifest.config_filename;
  if (configFile !== a.configFile)
    throw new Error(`the bundle's config ${configFile} is not the job's ${a.configFile}`);
  const kind = a.bundle.source === "esphome" ? "ESPHome bundle" : "bundle";
  return {
    configFile,
    files: b.files,
    describe: `${kind} of ${b.files.length} file(s), ${bytes.length} bytes, digest ${b.digest.slice(0, 12)}…`,
  };
}
