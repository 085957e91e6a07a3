// Firmware on the worker: after a compile the images are found through ESPHome's own storage
// JSON (`<config dir>/.esphome/storage/<config file>.json` → `firmware_bin_path`), never a
// fixed `.pioenvs` path — ESP32 builds moved to a native ESP-IDF layout in 2026.7. For an
// `upload` job the archived image is fetched from the sidecar and its digest checked.
import { createHash } from "node:crypto";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { otaImage, type FirmwareImage } from "@esphome-forge/shared";

/** The sidecar refuses frames above 64 MiB; no ESPHome image comes close. */
const MAX_IMAGE_BYTES = 64 * 1024 * 1024;

export interface BuiltImage {
  image: FirmwareImage;
  path: string;
  bytes: Buffer;
}

export interface FoundFirmware {
  images: BuiltImage[];
  esphomeVersion: string | null;
}

interface StorageJson {
  firmware_bin_path?: unknown;
  esphome_version?: unknown;
}

export function storageJsonPath(configPath: string): string {
  return path.join(path.dirname(configPath), ".esphome", "storage", `${path.basename(configPath)}.json`);
}

export function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Reads the storage JSON and collects the images ESPHome offers for download: the factory
 * image and the OTA image beside `firmware_bin_path` (ESP32, both toolchains), else the file
 * `firmware_bin_path` names itself (ESP8266's single `firmware.bin`, LibreTiny's `.uf2`, …).
 */
export async function findFirmware(configPath: string): Promise<FoundFirmware> {
  const storagePath = storageJsonPath(configPath);
  let storage: StorageJson;
  try {
    storage = JSON.parse(await readFile(storagePath, "utf8")) as StorageJson;
  } catch (err) {
    throw new Error(`ESPHome's storage file ${storagePath} is missing or unreadable (${(err as Error).message})`);
  }
  if (typeof storage.firmware_bin_path !== "string" || storage.firmware_bin_path === "") {
    throw new Error(`ESPHome's storage file ${storagePath} names no firmware_bin_path`);
  }
  const binPath = path.resolve(path.dirname(configPath), storage.firmware_bin_path);
  const dir = path.dirname(binPath);
  const candidates: { file: string; kind: FirmwareImage["kind"] }[] = [];
  const factory = path.join(dir, "firmware.factory.bin");
  const ota = path.join(dir, "firmware.ota.bin");
  if (await isFile(factory)) candidates.push({ file: factory, kind: "factory" });
  if (await isFile(ota)) candidates.push({ file: ota, kind: "ota" });
  else if (await isFile(binPath))
    candidates.push({ file: binPath, kind: /\.(bin|uf2)$/.test(binPath) ? "ota" : "other" });
  if (candidates.length === 0) {
    throw new Error(`ESPHome's storage file names ${binPath}, but no firmware image exists there`);
  }
  const images: BuiltImage[] = [];
  for (const c of candidates) {
    const bytes = await readFile(c.file);
    if (bytes.length > MAX_IMAGE_BYTES) throw new Error(`firmware image ${c.file} is larger than 64 MiB`);
    images.push({
      image: { name: path.basename(c.file), sha256: sha256(bytes), size: bytes.length, kind: c.kind },
      path: c.file,
      bytes,
    });
  }
  const version = typeof storage.esphome_version === "string" ? storage.esphome_version : null;
  return { images, esphomeVersion: version };
}

/** The found file whose image an OTA upload sends (the shared rule, `otaImage`). */
export function otaFile<T extends { image: FirmwareImage }>(files: T[]): T | undefined {
  const image = otaImage(files.map((f) => f.image));
  return files.find((f) => f.image === image);
}

/**
 * Downloads an archived image (GET <server>/api/v1/firmware/<sha256> with the worker token)
 * into `destDir` and checks its size and digest. Returns the file's path.
 */
export async function downloadFirmware(
  httpBase: string,
  token: string,
  image: FirmwareImage,
  destDir: string,
  signal: AbortSignal,
): Promise<string> {
  const url = new URL(`api/v1/firmware/${image.sha256}`, httpBase);
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal });
  if (!res.ok) {
    const body = (await res.text().catch(() => "")).slice(0, 300);
    throw new Error(
      `downloading firmware ${image.name} failed: GET ${url.pathname} answered ${res.status} ${body}`.trim(),
    );
  }
  const bytes = Buffer.from(await res.arrayBuffer());
  const digest = sha256(bytes);
  if (digest !== image.sha256) {
    throw new Error(`downloaded firmware ${image.name} has sha256 ${digest}, expected ${image.sha256}`);
  }
  if (bytes.length !== image.size) {
    throw new Error(`downloaded firmware ${image.name} has ${bytes.length} bytes, expected ${image.size}`);
  }
  await mkdir(destDir, { recursive: true, mode: 0o700 });
  const safeName = path.basename(image.name).replace(/[^A-Za-z0-9._-]/g, "_");
  const file = path.join(destDir, `${image.sha256.slice(0, 16)}-${safeName}`);
  await writeFile(file, bytes, { mode: 0o600 }); // an image embeds the device's secrets
  return file;
}

async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => null))?.isFile() ?? false;
}
