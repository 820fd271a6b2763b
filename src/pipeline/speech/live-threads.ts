import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { SpeechSettings } from './engines.js';
import type { LiveSpeechEvent, LiveTranscriberOptions } from './live-transcriber.js';
import type { LiveWorkerReply, LiveWorkerRequest } from './live-worker.js';

export type LiveSpeechOptions = {
  /** Threads running live-call speech; each call stays on one, the least busy when it starts. */
  threads: number;
  transcriber: LiveTranscriberOptions;
};

/** The speech of one live call, as seen from the event loop. */
export interface LiveSpeechSession {
  /** 16 kHz mono samples, in order. */
  push(samples: Float32Array): void;
  /** The call is over: resolves once every event of the call has been delivered. */
  finish(): Promise<void>;
}

type SessionHandle = {
  onEvents: (events: LiveSpeechEvent[]) => void;
  finished: Deferred;
};
type Deferred = { promise: Promise<void>; resolve: () => void };
type Thread = { worker: Worker; sessions: Map<number, SessionHandle> };

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * Live-call speech threads (live-worker.ts), started with the first call. A call's VAD and
 * recogniser state live in one thread for the whole call, so unlike the recorded-call pool
 * (pool.ts, stateless tasks) these are plain workers with sessions.
 */
export class LiveSpeechThreads {
  private readonly threads: Thread[] = [];
  private nextId = 1;

  constructor(
    readonly settings: SpeechSettings,
    private readonly options: LiveSpeechOptions,
    private readonly log: Logger,
  ) {}

  open(onEvents: (events: LiveSpeechEvent[]) => void): LiveSpeechSession {
    const thread = this.pickThread();
    const id = this.nextId++;
    const handle: SessionHandle = { onEvents, finished: deferred() };
    thread.sessions.set(id, handle);
    const post = (request: LiveWorkerRequest, transfer?: ArrayBuffer[]) => {
      if (thread.sessions.has(id)) thread.worker.postMessage(request, transfer);
    };
    post({
      op: 'open',
      id,
      settings: this.settings,
      transcriber: this.options.transcriber,
    });
    return {
      push(samples) {
        // A copy of its own, moved to the thread rather than cloned.
        const own = samples.slice();
        post({ op: 'audio', id, samples: own }, [own.buffer as ArrayBuffer]);
      },
      finish() {
        post({ op: 'finish', id });
        if (!thread.sessions.has(id)) handle.finished.resolve();
        return handle.finished.promise;
      },
    };
  }

  async close(): Promise<void> {
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((thread) => thread.worker.terminate()));
    for (const thread of threads) for (const handle of thread.sessions.values()) handle.finished.resolve();
  }

  /** A new thread while fewer than `threads` run, else the one with the fewest calls. */
  private pickThread(): Thread {
    if (this.threads.length < this.options.threads) return this.spawn();
    return this.threads.reduce((a, b) => (b.sessions.size < a.sessions.size ? b : a));
  }

  private spawn(): Thread {
    // From source (tests, tsx) the worker is TypeScript: threads do not inherit tsx's loader, so
    // the module is imported through tsx's API (as the face workers do).
    const fromSource = import.meta.url.endsWith('.ts');
    const entry = new URL(`./live-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
    const worker = fromSource
      ? new Worker(
          `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => tsx.tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(entry.href)}))`,
          { eval: true },
        )
      : new Worker(entry);
    // Calls keep the process alive through their sockets; an idle thread must not.
    worker.unref();
    const thread: Thread = { worker, sessions: new Map() };
    worker.on('message', (reply: LiveWorkerReply) => {
      const handle = thread.sessions.get(reply.id);
      if (!handle) return;
      if ('events' in reply) {
        handle.onEvents(reply.events);
      } else if ('finished' in reply) {
        thread.sessions.delete(reply.id);
        handle.finished.resolve();
      } else {
        this.log.warn({ error: reply.error }, 'live call: speech stopped for this call');
        thread.sessions.delete(reply.id);
        handle.finished.resolve();
      }
    });
    const lost = (error: unknown) => {
      this.log.error({ err: error }, 'live call: a speech thread stopped; its calls go on without speech');
      const index = this.threads.indexOf(thread);
      if (index >= 0) this.threads.splice(index, 1);
      for (const handle of thread.sessions.values()) handle.finished.resolve();
      thread.sessions.clear();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => {
      if (this.threads.includes(thread)) lost(new Error(`exited with code ${code}`));
    });
    this.threads.push(thread);
    return thread;
  }
}
