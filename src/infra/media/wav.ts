import fs from 'node:fs/promises';

/**
 * WAV files as the pipeline writes and reads them: 16 kHz mono 16-bit PCM behind a bare 44-byte
 * header (written by the audio stage, sent to OpenAI), read back as float samples in [-1, 1].
 */
export const WAV_SAMPLE_RATE = 16_000;
export const WAV_HEADER_BYTES = 44;

/** The 44-byte header of a 16 kHz mono 16-bit PCM WAV holding `dataBytes` of samples. */
export function wavHeader(dataBytes: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'latin1');
  header.write('fmt ', 12, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(WAV_SAMPLE_RATE, 24);
  header.writeUInt32LE(WAV_SAMPLE_RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

/** Float samples in [-1, 1] as signed 16-bit PCM (clipped). */
export function pcm16FromFloat(samples: Float32Array): Int16Array {
  const pcm = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    pcm[i] = Math.max(-32768, Math.min(32767, Math.round((samples[i] ?? 0) * 32767)));
  }
  return pcm;
}

/** 16 kHz mono samples as a whole WAV file in memory. */
export function encodeWav(samples: Float32Array): Buffer {
  const pcm = pcm16FromFloat(samples);
  return Buffer.concat([wavHeader(pcm.byteLength), Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength)]);
}

/**
 * Reads a 16-bit PCM WAV (what the audio stage writes) into samples in [-1, 1]; also accepts
 * 32-bit float WAVs. Returns the sample rate and the first channel.
 */
export async function readWav(file: string): Promise<{ sampleRate: number; samples: Float32Array }> {
  return readWavBuffer(await fs.readFile(file), file);
}

export function readWavBuffer(buf: Buffer, file = 'audio'): { sampleRate: number; samples: Float32Array } {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE')
    throw new Error(`${file} is not a WAV file`);
  let offset = 12;
  let format: { tag: number; channels: number; sampleRate: number; bits: number } | undefined;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    let size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      format = {
        tag: buf.readUInt16LE(body),
        channels: buf.readUInt16LE(body + 2),
        sampleRate: buf.readUInt32LE(body + 4),
        bits: buf.readUInt16LE(body + 14),
      };
      // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
      if (format.tag === 0xfffe && size >= 26) format.tag = buf.readUInt16LE(body + 24);
    } else if (id === 'data') {
      if (!format) throw new Error(`${file}: data before fmt chunk`);
      // A streamed WAV may say 0 or 0xffffffff: the data runs to the end of the file.
      if (size === 0 || body + size > buf.length) size = buf.length - body;
      return { sampleRate: format.sampleRate, samples: decode(buf.subarray(body, body + size), format) };
    }
    offset = body + size + (size % 2);
  }
  throw new Error(`${file}: no audio data`);
}

function decode(data: Buffer, format: { tag: number; channels: number; bits: number }): Float32Array {
  const { tag, channels, bits } = format;
  const frameBytes = (bits / 8) * channels;
  const n = Math.floor(data.length / frameBytes);
  const out = new Float32Array(n);
  if (tag === 1 && bits === 16) {
    for (let i = 0; i < n; i++) out[i] = data.readInt16LE(i * frameBytes) / 32768;
  } else if (tag === 3 && bits === 32) {
    for (let i = 0; i < n; i++) out[i] = data.readFloatLE(i * frameBytes);
  } else {
    throw new Error(`unsupported WAV format ${tag}/${bits}-bit`);
  }
  return out;
}
