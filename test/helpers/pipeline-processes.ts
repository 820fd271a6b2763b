/**
 * Helpers of the real-process pipeline tests (test/system/pipeline-processes.test.ts): a recording
 * slow enough to interrupt mid-job, a small HTTP client for a running `rapport serve`, and the
 * process-tree and work-directory probes that tell when a job is half-way through.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { resolveMediaBinaries } from '../../src/infra/media/binaries.js';
import { STRONG_PASSWORD } from './app.js';
import { REPO_ROOT } from './process.js';

export const FIXTURE_VIDEO = path.resolve(REPO_ROOT, '../shared/fixtures/video/short_hamilton_clip.mp4');

export type LongRecording = { file: string; size: number; durationSeconds: number };

/**
 * A ~10-minute call: the fixture's video looped (stream copy) with a silent 7.1 / 192 kHz FLAC
 * track, also looped. Built in well under a second and ~30 MB, yet the audio stage (decode 8
 * channels at 192 kHz, downmix, resample to 16 kHz mono) takes a couple of seconds where the looped
 * clip's own AAC track takes 0.4 s: long enough to stop a process deterministically while ffmpeg
 * runs, short enough to run the job several times in a CI budget.
 */
export async function buildLongRecording(dir: string, loops = 60): Promise<LongRecording> {
  const { ffmpeg, ffprobe } = await resolveMediaBinaries();
  const run = (bin: string, args: string[]) => {
    const result = spawnSync(bin, args, { encoding: 'utf8' });
    if (result.status !== 0)
      throw new Error(`${path.basename(bin)} ${args.join(' ')} failed:\n${result.stderr}`);
    return result.stdout;
  };
  const tone = path.join(dir, 'silence-7.1-192k.mkv');
  const file = path.join(dir, 'long-call.mkv');
  run(ffmpeg.path, [
    ...['-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', 'anullsrc=r=192000:cl=7.1'],
    ...['-t', '10', '-c:a', 'flac', tone],
  ]);
  run(ffmpeg.path, [
    ...['-v', 'error', '-nostdin', '-y'],
    ...['-stream_loop', String(loops - 1), '-i', FIXTURE_VIDEO],
    ...['-stream_loop', String(loops - 1), '-i', tone],
    ...['-map', '0:v:0', '-map', '1:a:0', '-c', 'copy', file],
  ]);
  fs.rmSync(tone);
  const probed = JSON.parse(
    run(ffprobe.path, ['-v', 'error', '-print_format', 'json', '-show_format', file]),
  ) as { format: { duration: string } };
  return { file, size: fs.statSync(file).size, durationSeconds: Number(probed.format.duration) };
}

/** A signed-in client of a `rapport serve` listening on `base`. */
export class HttpClient {
  constructor(
    public base: string,
    readonly token?: string,
  ) {}

  async request(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(this.base + url, {
      method,
      headers: {
        ...(this.token ? { authorization: `Token ${this.token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed };
  }

  /** Registers `username` and returns a client signed in as them. */
  async register(username: string): Promise<HttpClient & { userId: number }> {
    const res = await this.request('POST', '/api/auth/users/register/', {
      username,
      email: `${username}@example.com`,
      password: STRONG_PASSWORD,
      password_confirm: STRONG_PASSWORD,
    });
    if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${JSON.stringify(res.body)}`);
    return Object.assign(new HttpClient(this.base, res.body.token), { userId: res.body.user.id as number });
  }

  /** Uploads a file as the browser does (multipart, field `file`), streamed from disk. */
  async upload(interactionId: number, file: string, contentType: string) {
    const form = new FormData();
    form.append('file', await fs.openAsBlob(file, { type: contentType }), path.basename(file));
    const res = await fetch(`${this.base}/api/interactions/${interactionId}/media/`, {
      method: 'POST',
      headers: this.token ? { authorization: `Token ${this.token}` } : {},
      body: form,
    });
    return { status: res.status, body: (await res.json()) as any };
  }

  async detail(interactionId: number): Promise<any> {
    const res = await this.request('GET', `/api/interactions/${interactionId}/`);
    if (res.status !== 200) throw new Error(`GET interaction ${interactionId}: ${res.status}`);
    return res.body;
  }
}

/**
 * The job work directories (`rapport-job-<interaction>-*`) under a process' TMPDIR, with whether
 * the audio stage's ffmpeg is writing its WAV there right now.
 */
export function jobDirs(
  tmpDir: string,
  interactionId: number,
): Array<{ dir: string; extractingAudio: boolean }> {
  if (!fs.existsSync(tmpDir)) return [];
  return fs
    .readdirSync(tmpDir)
    .filter((name) => name.startsWith(`rapport-job-${interactionId}-`))
    .map((name) => {
      const dir = path.join(tmpDir, name);
      return { dir, extractingAudio: fs.existsSync(path.join(dir, 'audio-16k.wav.partial')) };
    });
}

/** Direct children of `pid`, with their command lines (Linux /proc; empty elsewhere). */
export function childProcesses(pid: number): Array<{ pid: number; command: string }> {
  if (!fs.existsSync('/proc/self/stat')) return [];
  const children: Array<{ pid: number; command: string }> = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may contain spaces and parentheses: split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== pid) continue;
      const command = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      children.push({ pid: Number(entry), command });
    } catch {
      // exited meanwhile
    }
  }
  return children;
}

/**
 * SIGKILLs a process and the children it had: what the OOM killer, a lost machine or a killed
 * container does. Killing only the Node process would leave its ffmpeg running as an orphan, to
 * the end of its input. Returns the children's command lines.
 */
export function killTree(pid: number): string[] {
  const children = childProcesses(pid);
  process.kill(pid, 'SIGKILL');
  for (const child of children) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return children.map((child) => child.command);
}

/** Whether one of these command lines runs ffmpeg (the system one or the npm-shipped one). */
export const runsFfmpeg = (commands: string[]) =>
  commands.some((command) => /(^|\/)ffmpeg\S* /.test(command));
