// Judges a config-folder file by what it really is, not by the name a config reaches it through.
// A symlink (or a hard link) to secrets.yaml under another name — `substitutions: !include
// subs.yaml`, a "font", a second device file — is still the secrets file: it is never read as
// config or shipped whole; only the keys a device references leave it, through `!secret`. The
// same real path also decides whether a file is hidden (`.git/…`) or another device's YAML.
import { stat } from "node:fs/promises";
import path from "node:path";
import { isHidden, realInside } from "./safe-path.js";

const SECRETS_NAMES = ["secrets.yaml", "secrets.yml"];

export function isSecretsName(rel: string): boolean {
  return SECRETS_NAMES.includes(path.posix.basename(rel));
}

export interface RealFile {
  /** The file's real path, relative to the config folder (symlinks followed). */
  realRel: string;
  /** It is a secrets file: by its real name, or the same file (device and inode) as one. */
  secrets: boolean;
  /** Its real path has a hidden segment (`.git`, `.esphome`…). */
  hidden: boolean;
}

export class SecretsGuard {
  private readonly real = new Map<string, Promise<RealFile | null>>();
  private readonly identities = new Map<string, Promise<string | null>>();
  /** Folders of the files a config read: their secrets.yaml is a candidate too. */
  private readonly folders = new Set<string>([""]);

  constructor(private readonly rootReal: string) {}

  /** Remembers the folder of a file the config read (its secrets.yaml can be `!secret`'s source). */
  addFolderOf(rel: string): void {
    const dir = path.posix.dirname(rel);
    this.folders.add(dir === "." ? "" : dir);
  }

  /** What `rel` really is; null when it does not exist or leaves the config folder. */
  inspect(rel: string): Promise<RealFile | null> {
    let p = this.real.get(rel);
    if (!p) {
      p = this.look(rel).catch(() => null);
      this.real.set(rel, p);
    }
    return p;
  }

  /** True when `rel` is, or leads to, a secrets file (or cannot be judged: fail closed). */
  async isSecrets(rel: string): Promise<boolean> {
    return (await this.inspect(rel))?.secrets ?? isSecretsName(rel);
  }

  private async look(rel: string): Promise<RealFile> {
    const abs = await realInside(this.rootReal, rel);
    const realRel = path.relative(this.rootReal, abs).split(path.sep).join("/");
    const hidden = isHidden(realRel);
    if (isSecretsName(rel) || isSecretsName(realRel)) return { realRel, secrets: true, hidden };
    // A hard link, or a link to the file secrets.yaml itself links to, shares its identity. The
    // secrets files that can matter: the top level, the folders of both paths and of every file read.
    const own = await this.identity(abs);
    const folders = new Set([...this.folders, path.posix.dirname(rel), path.posix.dirname(realRel)]);
    for (const dir of folders) {
      for (const name of SECRETS_NAMES) {
        const candidate = path.posix.join(dir === "." ? "" : dir, name);
        if (own !== null && (await this.identityOf(candidate)) === own) return { realRel, secrets: true, hidden };
      }
    }
    return { realRel, secrets: false, hidden };
  }

  private identityOf(rel: string): Promise<string | null> {
    let p = this.identities.get(rel);
    if (!p) {
      p = realInside(this.rootReal, rel).then(
        (abs) => this.identity(abs),
        () => null,
      );
      this.identities.set(rel, p);
    }
    return p;
  }

  private async identity(abs: string): Promise<string | null> {
    try {
      const st = await stat(abs);
      return st.isFile() ? `${st.dev}:${st.ino}` : null;
    } catch {
      return null;
    }
  }
}
