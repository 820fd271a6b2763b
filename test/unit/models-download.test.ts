import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MODEL_CATALOG, type ModelEntry } from '../../src/infra/models/catalog.js';
import { downloadModel, ModelDownloadError } from '../../src/infra/models/download.js';
import { runCli } from '../helpers/process.js';

// A local HTTP server serves the model files (with Range support, as Hugging Face and GitHub do):
// tests never reach the internet.
const CONTENT = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31 + (i >> 8)) % 256));
const SHA = createHash('sha256').update(CONTENT).digest('hex');
let server: http.Server;
let base: string;
const requests: { url: string; range: string | undefined }[] = [];
/** When set, the next full response stops after this many bytes (a dropped connection). */
let cutAfter: number | undefined;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push({ url: req.url ?? '', range: req.headers.range });
    if (!req.url?.endsWith('/model.bin') && !req.url?.endsWith('.onnx')) {
      res.writeHead(404).end('not found');
      return;
    }
    const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (match) {
      const start = Number(match[1]);
      if (start >= CONTENT.length) {
        res.writeHead(416).end();
        return;
      }
      res.writeHead(206, {
        'content-length': CONTENT.length - start,
        'content-range': `bytes ${start}-${CONTENT.length - 1}/${CONTENT.length}`,
      });
      res.end(CONTENT.subarray(start));
      return;
    }
    res.writeHead(200, { 'content-length': CONTENT.length });
    if (cutAfter !== undefined) {
      const n = cutAfter;
      cutAfter = undefined;
      res.write(CONTENT.subarray(0, n), () => res.destroy());
      return;
    }
    res.end(CONTENT);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

let modelsDir: string;
beforeEach(() => {
  modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-models-'));
  requests.length = 0;
});

const entry = (over: Partial<ModelEntry> = {}): ModelEntry => ({
  name: 'test-model',
  file: 'model.bin',
  url: `${base}/files/model.bin`,
  sha256: SHA,
  bytes: CONTENT.length,
  usedBy: 'tests',
  license: 'MIT',
  ...over,
});

describe('downloadModel', () => {
  it('downloads, verifies and names the file; a second run finds it present', async () => {
    const seen: number[] = [];
    const first = await downloadModel(entry(), { modelsDir, onProgress: (p) => seen.push(p.received) });
    expect(first).toMatchObject({ status: 'downloaded', bytes: CONTENT.length });
    expect(fs.readFileSync(path.join(modelsDir, 'model.bin')).equals(CONTENT)).toBe(true);
    expect(seen[seen.length - 1]).toBe(CONTENT.length);
    expect(fs.existsSync(path.join(modelsDir, 'model.bin.partial'))).toBe(false);
    expect((await downloadModel(entry(), { modelsDir })).status).toBe('present');
    expect(requests).toHaveLength(1);
  });

  it('resumes an interrupted download with a Range request', async () => {
    cutAfter = 100_000;
    await expect(downloadModel(entry(), { modelsDir })).rejects.toThrow();
    const partial = fs.statSync(path.join(modelsDir, 'model.bin.partial')).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(CONTENT.length);
    const result = await downloadModel(entry(), { modelsDir });
    expect(result.status).toBe('resumed');
    expect(requests[requests.length - 1]!.range).toBe(`bytes=${partial}-`);
    expect(fs.readFileSync(path.join(modelsDir, 'model.bin')).equals(CONTENT)).toBe(true);
  });

  it('deletes a download whose SHA-256 is wrong', async () => {
    await expect(downloadModel(entry({ sha256: '0'.repeat(64) }), { modelsDir })).rejects.toThrow(
      /does not match/,
    );
    expect(fs.readdirSync(modelsDir)).toEqual([]);
  });

  it('reports an HTTP error', async () => {
    await expect(downloadModel(entry({ url: `${base}/missing.bin` }), { modelsDir })).rejects.toThrow(
      ModelDownloadError,
    );
  });

  it('fetches from a mirror when one is configured', async () => {
    await downloadModel(entry({ url: 'https://example.invalid/never' }), {
      modelsDir,
      mirror: `${base}/mirror/`,
    });
    expect(requests[0]!.url).toBe('/mirror/model.bin');
  });

  it('the catalogue has a URL, a SHA-256 and a distinct file per model', () => {
    for (const m of MODEL_CATALOG) {
      expect(m.url).toMatch(/^https:\/\//);
      expect(m.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(new Set(MODEL_CATALOG.map((m) => m.file)).size).toBe(MODEL_CATALOG.length);
  });
});

describe('rapport models', () => {
  it('list shows the catalogue; download refuses unknown names and wrong bytes', async () => {
    const env = { MODELS_DIR: modelsDir, MODELS_MIRROR_URL: `${base}/mirror`, DATABASE_URL: '' };
    const list = runCli(['models', 'list'], env);
    expect(await list.exited, list.output()).toBe(0);
    expect(list.output()).toContain('whisper-base.en');
    const unknown = runCli(['models', 'download', 'no-such-model'], env);
    expect(await unknown.exited).toBe(1);
    expect(unknown.output()).toContain('Unknown model no-such-model');
    // The mirror has a file of that name, but not the catalogued bytes: nothing is kept.
    const wrong = runCli(['models', 'download', 'silero-vad-v5'], env);
    expect(await wrong.exited, wrong.output()).toBe(1);
    expect(wrong.output()).toContain('does not match');
    expect(requests.map((r) => r.url)).toContain('/mirror/silero_vad.onnx');
    expect(fs.existsSync(path.join(modelsDir, 'silero_vad.onnx'))).toBe(false);
  });
});
