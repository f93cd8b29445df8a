import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ClientAssets {
  /** The client build folder (dist/client); null in dev, where Vite serves the source. */
  dir: string | null;
  /** URLs of the module scripts: the hydration entry (and Vite's client in dev). */
  scripts: string[];
  /** URLs of the stylesheets the entry imports. */
  styles: string[];
}

interface ManifestChunk {
  file: string;
  css?: string[];
  isEntry?: boolean;
}

/** `dev`: Vite serves the source and its live-reload client; there is no build to read. */
export const DEV_ASSETS: ClientAssets = { dir: null, scripts: ['/@vite/client', '/src/client/main.ts'], styles: [] };

/**
 * Hashed file names of the client entry, read once at start from Vite's manifest; `baseUrl` is
 * ASSET_BASE_URL (a CDN's origin, maybe with a path), or '' for this app's own /assets/.
 */
export async function loadClientAssets(dir: string, baseUrl = ''): Promise<ClientAssets> {
  const manifestPath = join(dir, '.vite', 'manifest.json');
  let manifest: Record<string, ManifestChunk>;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch {
    throw new Error(`no client build at ${manifestPath}: run the build script first`);
  }
  const entry = Object.values(manifest).find((chunk) => chunk.isEntry);
  if (!entry) throw new Error(`${manifestPath} has no entry chunk`);
  const href = (file: string) => `${baseUrl}/${file}`;
  return { dir, scripts: [href(entry.file)], styles: (entry.css ?? []).map(href) };
}
