import { concatSamples } from '../engines/asr/asr.js';
import type { SpeechRegion } from '../engines/vad/vad.js';
import { slice } from './diarize.js';

/** How long a voice sample is at most: enough to recognise someone, small to store (~190 kB). */
export const VOICE_SAMPLE_SECONDS = 6;
const SAMPLE_RATE = 16_000;
/** Silence between the pieces of a sample made of several short turns. */
const GAP_SECONDS = 0.2;

/**
 * A few seconds of one voice, for the user to listen to: the speaker's longest stretches of
 * speech first (a long turn is clearer than many short ones), each cut at the sample's length,
 * put back in the order they were spoken with a short silence between. Null without speech.
 */
export function voiceSample(
  samples: Float32Array,
  speech: SpeechRegion[],
  maxSeconds = VOICE_SAMPLE_SECONDS,
): Float32Array | null {
  const chosen: SpeechRegion[] = [];
  let seconds = 0;
  for (const region of [...speech].sort((a, b) => b.end - b.start - (a.end - a.start))) {
    if (seconds >= maxSeconds) break;
    const length = Math.min(region.end - region.start, maxSeconds - seconds);
    if (length <= 0) continue;
    chosen.push({ start: region.start, end: region.start + length });
    seconds += length;
  }
  if (chosen.length === 0) return null;
  const gap = new Float32Array(Math.round(GAP_SECONDS * SAMPLE_RATE));
  const pieces = chosen
    .sort((a, b) => a.start - b.start)
    .flatMap((region, i) => (i === 0 ? [slice(samples, region)] : [gap, slice(samples, region)]));
  const joined = concatSamples(pieces);
  return joined.length > 0 ? joined : null;
}
