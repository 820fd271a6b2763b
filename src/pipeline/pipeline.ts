import type { Logger } from 'pino';
import type { AppConfig } from '../infra/config/config.js';
import type { Frame, MediaInfo } from '../infra/media/index.js';

/**
 * What a stage gets: the job's input, the per-job work directory (removed afterwards), and the
 * artifacts earlier stages produced. Later stages (faces, speech, notes) read what they need here
 * and add their own artifacts, so adding a stage never means editing another.
 */
export type StageContext = {
  interactionId: number;
  userId: number;
  /** A local copy (or the file itself) of the interaction's media. */
  mediaFile: string;
  workDir: string;
  config: AppConfig;
  log: Logger;
  signal: AbortSignal;
  /** Where stages record results on the interaction (scoped to this job's user and media). */
  store: PipelineStore;
  /**
   * What a stage could not do although the run succeeded (e.g. no transcription engine is
   * available): shown in `processing_error` of the COMPLETED interaction.
   */
  notices?: string[];
  /**
   * Face signatures an earlier run of this media identified: it already taught them these faces,
   * so a reprocess matching them again adds no samples (the same frames would count twice).
   */
  countedFaceSignatures?: ReadonlySet<number>;
  /** Set by the probe stage. */
  media?: MediaInfo;
  /** 16 kHz mono PCM WAV, set by the audio stage when the media has audio. */
  audioFile?: string;
  /**
   * Video frames for face work, sampled at FRAME_RATE plus scene changes and downscaled, streamed
   * from ffmpeg: a 1-hour call is never held in memory. Each call starts a new pass.
   */
  frames(): AsyncIterable<Frame>;
};

export interface PipelineStore {
  saveMediaDuration(durationSeconds: number): Promise<void>;
}

export interface Stage {
  /** Shown to users as the job's current step. */
  readonly name: string;
  /** Share of the whole job's time this stage usually takes, for the progress bar. */
  readonly weight: number;
  /** Whether the stage applies to this media (e.g. no frames without video). */
  appliesTo?(ctx: StageContext): boolean;
  run(ctx: StageContext, progress: (fraction: number) => void): Promise<void>;
}

export type ProgressListener = (progress: { stage: string; percent: number }) => void;

/**
 * Runs the stages in order, reporting overall progress by stage weight. Whether a stage applies is
 * asked just before it runs, since it usually depends on what earlier stages found.
 */
export async function runPipeline(
  stages: Stage[],
  ctx: StageContext,
  onProgress: ProgressListener,
): Promise<void> {
  const total = stages.reduce((sum, stage) => sum + stage.weight, 0) || 1;
  let done = 0;
  for (const stage of stages) {
    ctx.signal.throwIfAborted();
    if (stage.appliesTo?.(ctx) === false) {
      done += stage.weight;
      continue;
    }
    const report = (fraction: number) => {
      const clamped = Math.min(1, Math.max(0, fraction));
      onProgress({ stage: stage.name, percent: Math.round(((done + stage.weight * clamped) / total) * 100) });
    };
    report(0);
    const started = performance.now();
    await stage.run(ctx, report);
    ctx.log.debug({ stage: stage.name, ms: Math.round(performance.now() - started) }, 'stage finished');
    done += stage.weight;
  }
  onProgress({ stage: 'done', percent: 100 });
}
