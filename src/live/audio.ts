import { createRequire } from 'node:module';
import type { SRC } from '@alexanderolsen/libsamplerate-js/dist/src.js';
import { ProtocolError } from './protocol.js';

// libsamplerate (WASM) is CommonJS; its named exports are not visible to ESM.
const libsamplerate: typeof import('@alexanderolsen/libsamplerate-js') = createRequire(import.meta.url)(
  '@alexanderolsen/libsamplerate-js',
);

/** Every speech engine takes 16 kHz mono float samples. */
export const SPEECH_SAMPLE_RATE = 16_000;

export type PcmFormat = 'pcm_s16le' | 'pcm_f32le' | 'f32le';

/** Raw little-endian PCM bytes → float samples in [-1, 1]. */
export function decodePcm(bytes: Buffer, format: PcmFormat): Float32Array {
  const width = format === 'pcm_s16le' ? 2 : 4;
  if (bytes.length % width !== 0)
    throw new ProtocolError(
      'invalid_data',
      `data: ${bytes.length} bytes is not a whole number of ${format} samples (${width} bytes each).`,
    );
  const count = bytes.length / width;
  const out = new Float32Array(count);
  if (width === 2) {
    for (let i = 0; i < count; i++) out[i] = bytes.readInt16LE(i * 2) / 32768;
  } else {
    for (let i = 0; i < count; i++) {
      const v = bytes.readFloatLE(i * 4);
      if (!Number.isFinite(v))
        throw new ProtocolError('invalid_data', 'data: samples must be finite numbers.');
      out[i] = Math.max(-1, Math.min(1, v));
    }
  }
  return out;
}

/**
 * Converts a call's audio stream to 16 kHz. A client may change its sample rate between chunks
 * (a new microphone): the converter follows, keeping libsamplerate's state within one rate.
 */
export class StreamResampler {
  private converter: SRC | undefined;
  private rate = SPEECH_SAMPLE_RATE;

  async push(samples: Float32Array, sampleRate: number): Promise<Float32Array> {
    if (sampleRate !== this.rate) {
      this.close();
      this.rate = sampleRate;
    }
    if (sampleRate === SPEECH_SAMPLE_RATE) return samples;
    this.converter ??= await libsamplerate.create(1, sampleRate, SPEECH_SAMPLE_RATE, {
      converterType: libsamplerate.ConverterType.SRC_SINC_MEDIUM_QUALITY,
    });
    return this.converter.full(samples);
  }

  close(): void {
    this.converter?.destroy();
    this.converter = undefined;
  }
}
