import { describe, expect, it } from 'vitest';
import { voiceSample } from '../../src/pipeline/speech/voice-sample.js';

const RATE = 16_000;
/** Ten seconds where each sample's value says the second it belongs to (0.0, 0.1, … 0.9). */
const audio = Float32Array.from({ length: 10 * RATE }, (_, i) => Math.floor(i / RATE) / 10);
const secondsOf = (sample: Float32Array) => sample.length / RATE;

describe('voiceSample', () => {
  it('takes the longest turns first, cut at the length, in the order they were spoken', () => {
    const sample = voiceSample(
      audio,
      [
        { start: 0, end: 1 }, // short: left out
        { start: 2, end: 5 },
        { start: 6, end: 10 }, // longest: first chosen, whole
      ],
      6,
    )!;
    // 4 s of the longest turn, then 2 s of the next longest, with a 0.2 s silence between.
    expect(secondsOf(sample)).toBeCloseTo(6.2, 3);
    expect(sample[0]).toBeCloseTo(0.2); // the 3 s turn starts it: it was spoken first
    expect(sample[Math.round(1.9 * RATE)]).toBeCloseTo(0.3);
    expect(sample[Math.round(2.1 * RATE)]).toBe(0); // the silence between
    expect(sample[Math.round(2.3 * RATE)]).toBeCloseTo(0.6);
    expect(sample.at(-1)).toBeCloseTo(0.9);
  });

  it('cuts one long turn at the length, and has nothing without speech', () => {
    expect(secondsOf(voiceSample(audio, [{ start: 1, end: 10 }], 6)!)).toBeCloseTo(6, 3);
    expect(voiceSample(audio, [])).toBeNull();
  });
});
