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

/** Hashed file names of the client entry, read once at start from Vite's manifest. */
export async function loadClientAssets(dir: string): Promise<ClientAssets> {
  const manifestPath = join(dir, '.vite', 'manifest.json');
  let manifest: Record<string, ManifestChunk>;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch {
    throw new Error(`no client build at ${manifestPath}: run the build script first`);
  }
  const entry = Object.values(manifest).find((chunk) => chunk.isEntry);
  if (!entry) throw new Error(`${manifestPath} has no entry chunk`);
  return { dir, scripts: [`/${entry.file}`], styles: (entry.css ?? []).map((file) => `/${file}`) };
}
