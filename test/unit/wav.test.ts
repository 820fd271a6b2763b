import { describe, expect, it } from 'vitest';
import { encodeWav, pcm16FromFloat, readWavBuffer, WAV_HEADER_BYTES } from '../../src/infra/media/wav.js';

describe('WAV files (infra/media/wav)', () => {
  it('writes 16 kHz mono 16-bit PCM that reads back as the same samples', () => {
    const samples = Float32Array.from({ length: 1600 }, (_, i) => Math.sin(i / 10) * 0.8);
    const wav = encodeWav(samples);
    expect(wav.length).toBe(WAV_HEADER_BYTES + samples.length * 2);
    const back = readWavBuffer(wav);
    expect(back.sampleRate).toBe(16_000);
    expect(back.samples.length).toBe(samples.length);
    for (let i = 0; i < samples.length; i++) expect(back.samples[i]).toBeCloseTo(samples[i]!, 3);
  });

  it('clips samples outside [-1, 1]', () => {
    expect(Array.from(pcm16FromFloat(Float32Array.of(-2, -1, 0, 1, 2)))).toEqual([
      -32768, -32767, 0, 32767, 32767,
    ]);
  });

  it('refuses what is not a WAV', () => {
    expect(() => readWavBuffer(Buffer.from('not a wav file at all'), 'x.wav')).toThrow(
      'x.wav is not a WAV file',
    );
  });
});
