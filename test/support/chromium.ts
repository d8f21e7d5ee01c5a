import { existsSync } from "node:fs";
import path from "node:path";

/**
 * The OS package's Chromium (Debian: `apt-get install -y chromium`, /usr/bin/chromium), or the
 * binary CHROMIUM_PATH names. puppeteer-core drives it; nothing downloads a browser.
 */
export function chromiumBinary(): string | null {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) return existsSync(configured) ? configured : null;
  for (const dir of (process.env.PATH ?? "").split(":")) {
    for (const name of ["chromium", "chromium-browser"]) {
      if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
    }
  }
  return null;
}
