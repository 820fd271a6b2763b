import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { AppConfig } from '../../infra/config/config.js';
import type { SpeechAnalysis } from './analyse.js';
import { type SpeechSettings, speechSettings } from './engines.js';
import type { EmbedResult, SpeechTask } from './worker.js';

/**
 * Speech inference on worker threads (SPEECH_THREADS of them), so a long recording never blocks
 * the event loop; also voice embeddings for enrolment. (Live calls have threads of their own:
 * live-threads.ts.)
 */
export class SpeechWorkers {
  private readonly pool: Piscina;
  readonly settings: SpeechSettings;

  constructor(config: AppConfig) {
    this.settings = speechSettings(config);
    // From source (tests, tsx) the worker is TypeScript too and needs tsx's loader.
    const fromSource = import.meta.url.endsWith('.ts');
    this.pool = new Piscina({
      filename: new URL(`./worker.${fromSource ? 'ts' : 'js'}`, import.meta.url).href,
      minThreads: 0,
      maxThreads: config.speech.threads,
      idleTimeout: 60_000,
      execArgv: fromSource ? ['--import', 'tsx'] : [],
    });
  }

  /** The whole recording (a 16 kHz mono WAV): regions, speakers, attributed transcript. */
  async analyse(
    wavFile: string,
    onProgress: (fraction: number) => void,
    signal?: AbortSignal,
  ): Promise<SpeechAnalysis> {
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (fraction: number) => onProgress(fraction));
    try {
      const task: SpeechTask = { op: 'analyse', settings: this.settings, wavFile, progress: port2 };
      return (await this.pool.run(task, {
        transferList: [port2],
        ...(signal && { signal }),
      })) as SpeechAnalysis;
    } finally {
      port1.close();
    }
  }

  /** A voice embedding of the speech in `samples` (silences removed by the VAD). */
  async embed(samples: Float32Array): Promise<EmbedResult> {
    const task: SpeechTask = { op: 'embed', settings: this.settings, samples };
    return (await this.pool.run(task)) as EmbedResult;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
