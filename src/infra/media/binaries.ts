import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { MediaError } from './errors.js';
import { type FfmpegConfig, runTool } from './process.js';

export type BinarySource = 'config' | 'path' | 'npm';

/** One resolved binary, as the health endpoint shows it. */
export type BinaryInfo = { path: string; source: BinarySource; version: string };

export type MediaBinaries = {
  ffmpeg: BinaryInfo;
  ffprobe: BinaryInfo;
  /** ffmpeg ≥ 5.1 takes `-fps_mode`; older builds (the npm-shipped one) only `-vsync`. */
  ffmpegHasFpsMode: boolean;
};

export type ResolveOptions = {
  /** Environment to search PATH in (default: process.env). */
  env?: NodeJS.ProcessEnv;
};

type Tool = 'ffmpeg' | 'ffprobe';

const VERSION_TIMEOUT_MS = 15_000;
const require = createRequire(import.meta.url);
const cache = new Map<string, Promise<MediaBinaries>>();

/**
 * Finds ffmpeg and ffprobe, each on its own: the configured path (FFMPEG_PATH / FFPROBE_PATH; a
 * configured binary that does not run is an error, not a reason to silently use another one),
 * else the first working one on PATH, else the static binary shipped in the npm packages
 * `@ffmpeg-installer/ffmpeg` / `@ffprobe-installer/ffprobe`. Each candidate is run once
 * (`-version`) and the result is cached per configuration and PATH; failures are not cached.
 */
export function resolveMediaBinaries(
  config: FfmpegConfig = {},
  options: ResolveOptions = {},
): Promise<MediaBinaries> {
  const env = options.env ?? process.env;
  const key = JSON.stringify([config.ffmpegPath ?? null, config.ffprobePath ?? null, pathValue(env)]);
  let resolved = cache.get(key);
  if (!resolved) {
    resolved = resolveUncached(config, env);
    cache.set(key, resolved);
    resolved.catch(() => cache.delete(key));
  }
  return resolved;
}

/** Forgets resolved binaries (tests; after installing ffmpeg on a running server). */
export function clearMediaBinariesCache(): void {
  cache.clear();
}

async function resolveUncached(config: FfmpegConfig, env: NodeJS.ProcessEnv): Promise<MediaBinaries> {
  const [ffmpeg, ffprobe] = await Promise.all([
    resolveTool('ffmpeg', config.ffmpegPath, env),
    resolveTool('ffprobe', config.ffprobePath, env),
  ]);
  return { ffmpeg, ffprobe, ffmpegHasFpsMode: await hasFpsMode(ffmpeg.path) };
}

async function resolveTool(
  tool: Tool,
  configured: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<BinaryInfo> {
  const variable = tool === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH';
  if (configured) {
    // A bare name is looked up on PATH by spawn; anything with a separator is a file path.
    const bin = configured.includes('/') || configured.includes('\\') ? path.resolve(configured) : configured;
    try {
      return { path: bin, source: 'config', version: await binaryVersion(bin) };
    } catch (error) {
      const why = error instanceof MediaError ? error.message : String(error);
      throw new MediaError('ffmpeg_unavailable', `${variable}=${configured} does not work: ${why}`, {
        cause: error,
      });
    }
  }
  const problems: string[] = [];
  for (const candidate of await findOnPath(tool, env)) {
    try {
      return { path: candidate, source: 'path', version: await binaryVersion(candidate) };
    } catch (error) {
      problems.push(error instanceof MediaError ? error.message : String(error));
    }
  }
  const shipped = npmBinary(tool);
  if (shipped) {
    try {
      return { path: shipped, source: 'npm', version: await binaryVersion(shipped) };
    } catch (error) {
      problems.push(error instanceof MediaError ? error.message : String(error));
    }
  }
  const tried = problems.length ? ` (${problems.join('; ')})` : '';
  throw new MediaError(
    'ffmpeg_unavailable',
    `No working ${tool} found${tried}: install ffmpeg on the PATH, set ${variable}, or reinstall the npm ` +
      `dependencies (@${tool}-installer/${tool}).`,
  );
}

/** Runs `<bin> -version` and returns the version (e.g. "5.1.6-0+deb12u1"); throws if it fails. */
async function binaryVersion(bin: string): Promise<string> {
  const { stdout, exit, run } = await runTool(bin, ['-version'], {
    timeoutMs: VERSION_TIMEOUT_MS,
    maxStdoutBytes: 1024 * 1024,
  });
  if (exit.code !== 0) {
    const detail = run.tail.lines()[0] ?? `exit code ${exit.code ?? exit.signal}`;
    throw new MediaError('ffmpeg_unavailable', `${bin} -version failed: ${detail}`);
  }
  const first = stdout.split('\n')[0]?.trim() ?? '';
  const match = /^\S+ version (\S+)/.exec(first);
  if (!match) throw new MediaError('ffmpeg_unavailable', `${bin} does not look like ffmpeg: "${first}"`);
  return match[1]!;
}

async function hasFpsMode(ffmpeg: string): Promise<boolean> {
  try {
    const { stdout } = await runTool(ffmpeg, ['-hide_banner', '-h', 'long'], {
      timeoutMs: VERSION_TIMEOUT_MS,
    });
    return /^-fps_mode\b/m.test(stdout);
  } catch {
    return false;
  }
}

function pathValue(env: NodeJS.ProcessEnv): string {
  return env.PATH ?? env.Path ?? '';
}

/** Executable files named `tool` in PATH's absolute directories, in PATH order. */
async function findOnPath(tool: Tool, env: NodeJS.ProcessEnv): Promise<string[]> {
  const names = process.platform === 'win32' ? [`${tool}.exe`] : [tool];
  const found: string[] = [];
  for (const dir of pathValue(env).split(path.delimiter)) {
    // Relative entries ("." or "") would pick up files from the working directory: skip them.
    if (!dir || !path.isAbsolute(dir)) continue;
    for (const name of names) {
      const candidate = path.join(dir, name);
      try {
        const stat = await fs.stat(candidate);
        if (!stat.isFile()) continue;
        if (process.platform !== 'win32') await fs.access(candidate, fsConstants.X_OK);
        if (!found.includes(candidate)) found.push(candidate);
      } catch {
        // Not there or not executable: keep looking.
      }
    }
  }
  return found;
}

/** The static binary of `@ffmpeg-installer/ffmpeg` / `@ffprobe-installer/ffprobe`, if installed. */
export function npmBinary(tool: Tool): string | undefined {
  try {
    // Both packages throw (the ffmpeg one a bare string) on an unsupported platform.
    const mod = require(`@${tool}-installer/${tool}`) as { path?: unknown };
    return typeof mod.path === 'string' ? mod.path : undefined;
  } catch {
    return undefined;
  }
}
