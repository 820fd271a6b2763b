import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { AppConfig } from '../config/config.js';
import { MediaError } from './errors.js';

/** Which ffmpeg/ffprobe to run: `AppConfig['ffmpeg']`; unset paths mean PATH, then npm. */
export type FfmpegConfig = Partial<AppConfig['ffmpeg']>;

/** Options every media operation takes. */
export type MediaOptions = {
  ffmpeg?: FfmpegConfig | undefined;
  /** Stop the child process (SIGKILL) after this many milliseconds: `MediaError('timeout')`. */
  timeoutMs?: number | undefined;
  /** Stop the child process when this fires: `MediaError('aborted')`. */
  signal?: AbortSignal | undefined;
  /** Called with each child process right after it is spawned (logging, tests). */
  onSpawn?: ((child: ChildProcess) => void) | undefined;
};

/** How much of stderr is kept for error messages and logs. */
export const STDERR_TAIL_CHARS = 4096;

/** The last few KB of a process's stderr, by whole lines. */
export class StderrTail {
  private text = '';

  constructor(private readonly limit = STDERR_TAIL_CHARS) {}

  push(line: string): void {
    this.text += `${line}\n`;
    if (this.text.length > this.limit * 2) this.text = this.text.slice(-this.limit);
  }

  toString(): string {
    const text = this.text.length > this.limit ? this.text.slice(-this.limit) : this.text;
    return text.trimEnd();
  }

  lines(): string[] {
    return this.toString()
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
  }
}

export type ToolExit = {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the binary could not be started at all (ENOENT, EACCES…). */
  spawnError?: NodeJS.ErrnoException;
};

export type ToolRun = {
  child: ChildProcess;
  /** The child's stdout when asked for (`stdout: true`), else null. Read it or ffmpeg blocks. */
  stdout: Readable | null;
  tail: StderrTail;
  /** Resolves (never rejects) once stderr is fully read. */
  stderrDone: Promise<void>;
  /** Resolves (never rejects) once the process has exited and its pipes are closed. */
  done: Promise<ToolExit>;
  /** Kills the process (SIGKILL) if it still runs. */
  stop(): void;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  readonly running: boolean;
};

export type StartOptions = Pick<MediaOptions, 'timeoutMs' | 'signal' | 'onSpawn'> & {
  stdout?: boolean;
  /**
   * Sees every stderr line; return false to keep the line out of the tail (e.g. per-frame logs
   * that are data, not diagnostics).
   */
  onStderrLine?: (line: string) => boolean;
};

/** Throws `MediaError('aborted')` if the signal has already fired. */
export function throwIfAborted(signal: AbortSignal | undefined, file?: string): void {
  if (signal?.aborted) throw abortedError(file, signal.reason);
}

export function abortedError(file: string | undefined, cause?: unknown): MediaError {
  return new MediaError('aborted', 'Processing the file was cancelled.', { file, cause });
}

/**
 * Spawns a binary directly (never through a shell), stdin closed, stderr read line by line into a
 * bounded tail. The process is killed on timeout or abort; `done` tells when it is gone.
 */
export function startTool(bin: string, args: string[], options: StartOptions = {}): ToolRun {
  const child = spawn(bin, args, {
    stdio: ['ignore', options.stdout ? 'pipe' : 'ignore', 'pipe'],
    shell: false,
    windowsHide: true,
  });
  const tail = new StderrTail();
  let timedOut = false;
  let aborted = false;
  let exited = false;

  const stop = () => {
    if (!exited && child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      child.kill('SIGKILL');
    }
  };

  let pending = '';
  const onLine = (line: string) => {
    if (line.trim() === '') return;
    if (options.onStderrLine?.(line) === false) return;
    tail.push(line);
  };
  const stderr = child.stderr!;
  stderr.setEncoding('utf8');
  stderr.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split(/\r\n|\n|\r/);
    pending = lines.pop() ?? '';
    for (const line of lines) onLine(line);
    // A runaway line without newline must not grow without bound either.
    if (pending.length > 64 * 1024) pending = pending.slice(-4096);
  });
  const stderrDone = new Promise<void>((resolve) => {
    stderr.once('close', () => {
      if (pending) onLine(pending);
      pending = '';
      resolve();
    });
  });

  let timer: NodeJS.Timeout | undefined;
  if (options.timeoutMs !== undefined && options.timeoutMs > 0) {
    timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    timer.unref();
  }
  const signal = options.signal;
  const onAbort = () => {
    aborted = true;
    stop();
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  const done = new Promise<ToolExit>((resolve) => {
    const finish = (exit: ToolExit) => {
      exited = true;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(exit);
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      // Spawn failures emit 'error' and no 'exit'; errors after a successful spawn (a failed
      // kill) are followed by 'close' as usual.
      if (child.pid === undefined) finish({ code: null, signal: null, spawnError: error });
    });
    child.once('close', (code, sig) => finish({ code, signal: sig }));
  });

  if (signal?.aborted) onAbort();
  options.onSpawn?.(child);

  return {
    child,
    stdout: child.stdout,
    tail,
    stderrDone,
    done,
    stop,
    get timedOut() {
      return timedOut;
    },
    get aborted() {
      return aborted;
    },
    get running() {
      return !exited && child.exitCode === null && child.signalCode === null;
    },
  };
}

/**
 * The error for a run that did not end on its own: timeout, abort or a binary that would not
 * start. Undefined when the process ran and exited by itself (look at its exit code then).
 */
export function interruptionError(
  run: ToolRun,
  exit: ToolExit,
  bin: string,
  file: string | undefined,
  options: Pick<MediaOptions, 'timeoutMs' | 'signal'>,
): MediaError | undefined {
  const details = { file, stderr: run.tail.toString() || undefined, exitCode: exit.code };
  if (exit.spawnError) return spawnFailure(bin, exit.spawnError, file);
  if (run.aborted) return abortedError(file, options.signal?.reason);
  if (run.timedOut) {
    return new MediaError(
      'timeout',
      `Processing the file took longer than ${formatSeconds((options.timeoutMs ?? 0) / 1000)} and was stopped.`,
      details,
    );
  }
  return undefined;
}

export function spawnFailure(bin: string, error: NodeJS.ErrnoException, file?: string): MediaError {
  const why =
    error.code === 'ENOENT'
      ? 'does not exist'
      : error.code === 'EACCES'
        ? `is not executable (chmod +x ${bin})`
        : `could not be started (${error.code ?? error.message})`;
  return new MediaError('ffmpeg_unavailable', `${bin} ${why}.`, { file, cause: error });
}

/**
 * Runs a binary to completion and returns its stdout (at most `maxStdoutBytes`; more kills it).
 * Never rejects with a raw child-process error; interruptions become MediaErrors and a non-zero
 * exit is left to the caller, who knows what the failure means.
 */
export async function runTool(
  bin: string,
  args: string[],
  options: Omit<StartOptions, 'stdout'> & { maxStdoutBytes?: number; file?: string } = {},
): Promise<{ stdout: string; exit: ToolExit; run: ToolRun }> {
  throwIfAborted(options.signal, options.file);
  const run = startTool(bin, args, { ...options, stdout: true });
  const max = options.maxStdoutBytes ?? 16 * 1024 * 1024;
  const chunks: Buffer[] = [];
  let size = 0;
  let overflow = false;
  run.stdout!.on('data', (chunk: Buffer) => {
    if (overflow) return;
    size += chunk.length;
    if (size > max) {
      overflow = true;
      run.stop();
      return;
    }
    chunks.push(chunk);
  });
  const exit = await run.done;
  const interrupted = interruptionError(run, exit, bin, options.file, options);
  if (interrupted) throw interrupted;
  if (overflow) {
    throw new MediaError('ffmpeg_failed', `${bin} wrote more than ${max} bytes of output; stopped.`, {
      file: options.file,
    });
  }
  return { stdout: Buffer.concat(chunks).toString('utf8'), exit, run };
}

/** Kills a run that still goes and waits until it is gone (no zombies, no stray pipes). */
export async function finishRun(run: ToolRun): Promise<ToolExit> {
  if (run.running) run.stop();
  run.stdout?.destroy();
  return run.done;
}

export function formatSeconds(seconds: number): string {
  return seconds >= 10 ? `${Math.round(seconds)} s` : `${Number(seconds.toFixed(1))} s`;
}
