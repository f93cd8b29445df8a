import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ClientAssets {
  /** The client build folder (dist/client). */
  dir: string;
  /** URLs of the module scripts: the hydration entry (and Vite's client in dev). */
  scripts: string[];
  /** URLs of the stylesheets the entry imports. */
  styles: string[];
  /** True when serving source through Vite (no build found). */
  dev: boolean;
}

interface ManifestChunk {
  file: string;
  css?: string[];
  isEntry?: boolean;
}

/** Hashed file names of the client entry, read once at start from Vite's manifest. */
export async function loadClientAssets(dir: string): Promise<ClientAssets> {
  let manifest: Record<string, ManifestChunk>;
  try {
    manifest = JSON.parse(await readFile(join(dir, '.vite', 'manifest.json'), 'utf8'));
  } catch {
    // No build: `dev`, where Vite serves the source and its live-reload client.
    return { dir, scripts: ['/@vite/client', '/src/client/main.ts'], styles: [], dev: true };
  }
  const entry = Object.values(manifest).find((chunk) => chunk.isEntry);
  if (!entry) throw new Error('client manifest has no entry chunk');
  return { dir, scripts: [`/${entry.file}`], styles: (entry.css ?? []).map((file) => `/${file}`), dev: false };
}
