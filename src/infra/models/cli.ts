import type { AppConfig } from '../config/config.js';
import { findModel, MODEL_CATALOG } from './catalog.js';
import { downloadModel, ModelDownloadError, progressBar } from './download.js';

/** `rapport models list`: the catalogue, and which models are already in MODELS_DIR. */
export function listModels(config: AppConfig, out: (line: string) => void = console.log): void {
  out(`Models directory: ${config.modelsDir}`);
  for (const m of MODEL_CATALOG) {
    const size = m.bytes ? ` (${(m.bytes / 1e6).toFixed(0)} MB)` : '';
    out(`  ${m.name.padEnd(28)} ${m.file}${size}\n      ${m.usedBy}; license ${m.license}`);
  }
}

/** `rapport models download <name…>`: each into MODELS_DIR, resumable, SHA-256 verified. */
export async function downloadModels(config: AppConfig, names: string[]): Promise<void> {
  const unknown = names.filter((n) => !findModel(n));
  if (unknown.length > 0) {
    throw new ModelDownloadError(
      `Unknown model ${unknown.join(', ')}. Known: ${MODEL_CATALOG.map((m) => m.name).join(', ')}.`,
    );
  }
  for (const name of names) {
    const entry = findModel(name)!;
    const result = await downloadModel(entry, {
      modelsDir: config.modelsDir,
      mirror: config.speech.modelsMirrorUrl,
      onProgress: progressBar(name),
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    const verb = { present: 'already present', downloaded: 'downloaded', resumed: 'resumed and completed' }[
      result.status
    ];
    console.log(`${name}: ${verb}, SHA-256 verified: ${result.path}`);
  }
}
