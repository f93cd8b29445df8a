import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ClientAssets {
  /** The client build folder (dist/client). */
  dir: string;
  /** URL of the hydration entry script. */
  script: string;
  /** URLs of the stylesheets the entry imports. */
  styles: string[];
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
    // No build (unit tests, or `dev` where Vite serves the source).
    return { dir, script: '/src/client/main.ts', styles: [] };
  }
  const entry = Object.values(manifest).find((chunk) => chunk.isEntry);
  if (!entry) throw new Error('client manifest has no entry chunk');
  return { dir, script: `/${entry.file}`, styles: (entry.css ?? []).map((file) => `/${file}`) };
}
