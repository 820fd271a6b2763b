import { probeMedia } from '../../infra/media/index.js';
import type { Stage } from '../pipeline.js';

/** Reads duration, streams and codecs; a file ffmpeg cannot read fails here with a readable reason. */
export const probeStage: Stage = {
  name: 'probe',
  weight: 1,
  async run(ctx) {
    ctx.media = await probeMedia(ctx.mediaFile, { ffmpeg: ctx.config.ffmpeg, signal: ctx.signal });
    await ctx.store.saveMediaDuration(ctx.media.durationSeconds);
  },
};
