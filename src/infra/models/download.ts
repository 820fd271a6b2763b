import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ModelEntry } from './catalog.js';

export type DownloadProgress = { received: number; total: number | undefined };

export type DownloadOptions = {
  modelsDir: string;
  /** Fetch `${mirror}/${entry.file}` instead of the entry's own URL (an offline mirror). */
  mirror?: string | undefined;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
};

export type DownloadResult = { path: string; status: 'downloaded' | 'resumed' | 'present'; bytes: number };

export class ModelDownloadError extends Error {
  override name = 'ModelDownloadError';
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Downloads one catalogued model into MODELS_DIR. Resumable: bytes land in `<file>.partial`, and a
 * later run asks the server for the rest (HTTP Range) instead of starting over. The SHA-256 is
 * checked before the file takes its final name; a mismatch deletes the download.
 */
export async function downloadModel(entry: ModelEntry, options: DownloadOptions): Promise<DownloadResult> {
  await fsp.mkdir(options.modelsDir, { recursive: true });
  const target = path.join(options.modelsDir, entry.file);
  const partial = `${target}.partial`;
  if (fs.existsSync(target)) {
    if ((await sha256Of(target)) === entry.sha256)
      return { path: target, status: 'present', bytes: (await fsp.stat(target)).size };
    throw new ModelDownloadError(
      `${target} exists but its SHA-256 is not ${entry.name}'s; move it away first.`,
    );
  }
  const url = options.mirror ? `${options.mirror.replace(/\/+$/, '')}/${entry.file}` : entry.url;
  const already = fs.existsSync(partial) ? (await fsp.stat(partial)).size : 0;
  const response = await fetch(url, {
    headers: already > 0 ? { range: `bytes=${already}-` } : {},
    redirect: 'follow',
    ...(options.signal && { signal: options.signal }),
  });
  if (response.status === 416 && already > 0) {
    // The partial file is already whole: verify it below.
  } else if (!response.ok || !response.body) {
    throw new ModelDownloadError(`${url} answered ${response.status} ${response.statusText}`);
  }
  const resumed = response.status === 206;
  const start = resumed ? already : 0;
  const length = Number(response.headers.get('content-length'));
  const total =
    response.status === 416 ? already : Number.isFinite(length) && length > 0 ? start + length : entry.bytes;
  if (response.status !== 416 && response.body) {
    const out = fs.createWriteStream(partial, { flags: resumed ? 'a' : 'w' });
    let received = start;
    try {
      for await (const chunk of Readable.fromWeb(response.body as import('node:stream/web').ReadableStream)) {
        received += (chunk as Buffer).length;
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
        options.onProgress?.({ received, total });
      }
    } finally {
      await new Promise<void>((resolve, reject) =>
        out.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
    }
  }
  const digest = await sha256Of(partial);
  if (digest !== entry.sha256) {
    await fsp.rm(partial, { force: true });
    throw new ModelDownloadError(
      `${entry.name}: SHA-256 ${digest} does not match the catalogue's ${entry.sha256}; the download was deleted.`,
    );
  }
  await fsp.rename(partial, target);
  return { path: target, status: resumed ? 'resumed' : 'downloaded', bytes: (await fsp.stat(target)).size };
}

/** A one-line progress bar for a terminal (rewritten in place); plain lines when not a TTY. */
export function progressBar(name: string, stream: NodeJS.WriteStream = process.stderr) {
  let lastPercent = -1;
  const mb = (n: number) => (n / 1e6).toFixed(1);
  return (p: DownloadProgress) => {
    const fraction = p.total ? Math.min(1, p.received / p.total) : undefined;
    const percent = fraction === undefined ? -1 : Math.floor(fraction * 100);
    if (percent === lastPercent && percent !== -1) return;
    lastPercent = percent;
    const width = 30;
    const bar =
      fraction === undefined
        ? ''
        : `[${'#'.repeat(Math.round(fraction * width)).padEnd(width, '.')}] ${percent}% `;
    const line = `${name} ${bar}${mb(p.received)}${p.total ? `/${mb(p.total)}` : ''} MB`;
    if (stream.isTTY) stream.write(`\r${line}`);
    else if (percent % 10 === 0) stream.write(`${line}\n`);
  };
}
