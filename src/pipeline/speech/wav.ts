import fs from 'node:fs/promises';

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
