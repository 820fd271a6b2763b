import path from 'node:path';
import { extractAudio } from '../../infra/media/index.js';
import type { Stage } from '../pipeline.js';

/** 16 kHz mono PCM, the input of every speech engine. Video-only media has no audio to extract. */
export const audioStage: Stage = {
  name: 'audio',
  weight: 2,
  appliesTo: (ctx) => ctx.media?.hasAudio === true,
  async run(ctx) {
    const out = path.join(ctx.workDir, 'audio-16k.wav');
    await extractAudio(ctx.mediaFile, out, { ffmpeg: ctx.config.ffmpeg, signal: ctx.signal });
    ctx.audioFile = out;
  },
};
