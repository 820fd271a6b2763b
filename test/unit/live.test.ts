import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/infra/logging/logger.js';
import { decodePcm, SPEECH_SAMPLE_RATE, StreamResampler } from '../../src/live/audio.js';
import { SocketLimiter, TokenBucket } from '../../src/live/limits.js';
import { decodeBase64, ProtocolError, parseClientMessage } from '../../src/live/protocol.js';

describe('live protocol parsing', () => {
  it('fills the spec’s audio defaults', () => {
    expect(parseClientMessage('{"type":"audio_chunk","data":"AAAA"}')).toEqual({
      type: 'audio_chunk',
      data: 'AAAA',
      format: 'pcm_s16le',
      sample_rate: 16000,
    });
  });

  it('says which field is wrong', () => {
    expect(() => parseClientMessage('{"type":"video_chunk","data":"AAAA","timestamp":-1}')).toThrow(
      /^timestamp: /,
    );
  });

  it('decodes base64 strictly', () => {
    expect(decodeBase64('aGVs\nbG8=').toString()).toBe('hello');
    expect(() => decodeBase64('AAAAA')).toThrow(ProtocolError);
  });
});

describe('live limits', () => {
  it('lets a burst of twice the rate through, then the sustained rate', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 20, () => now);
    expect(Array.from({ length: 25 }, () => bucket.take()).filter(Boolean)).toHaveLength(20);
    now += 500; // half a second: 5 more
    expect(Array.from({ length: 10 }, () => bucket.take()).filter(Boolean)).toHaveLength(5);
  });

  it('counts refusals within ten seconds before calling it a flood', () => {
    let now = 0;
    const limiter = new SocketLimiter(
      { maxMessagesPerSecond: 1, maxBytesPerSecond: 1000, floodStrikes: 3 },
      () => now,
    );
    expect([limiter.admit(10), limiter.admit(10), limiter.admit(10)]).toEqual(['ok', 'ok', 'refuse']);
    expect(limiter.admit(5000)).toBe('refuse');
    now += 11_000; // old strikes expire
    expect(limiter.admit(10)).toBe('ok');
    expect([limiter.refuse(), limiter.refuse(), limiter.refuse()]).toEqual(['refuse', 'refuse', 'close']);
  });
});

describe('live audio', () => {
  it('decodes pcm_s16le and f32le', () => {
    expect(Array.from(decodePcm(Buffer.from(Int16Array.of(-32768, 0, 16384).buffer), 'pcm_s16le'))).toEqual([
      -1, 0, 0.5,
    ]);
    expect(Array.from(decodePcm(Buffer.from(Float32Array.of(0.25, 2).buffer), 'f32le'))).toEqual([0.25, 1]);
    expect(() => decodePcm(Buffer.from(Float32Array.of(Number.NaN).buffer), 'f32le')).toThrow(ProtocolError);
  });

  it('resamples a stream to 16 kHz keeping the pitch', async () => {
    const resampler = new StreamResampler();
    const rate = 44_100;
    const out: number[] = [];
    // One second of 440 Hz in 100 ms chunks, as a client would stream it.
    for (let chunk = 0; chunk < 10; chunk++) {
      const samples = Float32Array.from(
        { length: rate / 10 },
        (_, i) => Math.sin((2 * Math.PI * 440 * (chunk * (rate / 10) + i)) / rate) * 0.8,
      );
      out.push(...(await resampler.push(samples, rate)));
    }
    resampler.close();
    // libsamplerate holds back a few ms; the rest is there.
    expect(out.length).toBeGreaterThan(SPEECH_SAMPLE_RATE * 0.95);
    expect(out.length).toBeLessThanOrEqual(SPEECH_SAMPLE_RATE);
    const steady = out.slice(2000, 14000);
    let crossings = 0;
    for (let i = 1; i < steady.length; i++) if (steady[i - 1]! < 0 !== steady[i]! < 0) crossings++;
    const hz = crossings / 2 / (steady.length / SPEECH_SAMPLE_RATE);
    expect(hz).toBeGreaterThan(435);
    expect(hz).toBeLessThan(445);
  });

  it('passes 16 kHz through untouched', async () => {
    const samples = Float32Array.of(0.1, 0.2);
    expect(await new StreamResampler().push(samples, 16_000)).toBe(samples);
  });
});

describe('log redaction', () => {
  it('hides tokens in query strings', () => {
    expect(redactUrl('/ws/call/3/?token=abc123&x=1')).toBe('/ws/call/3/?token=[redacted]&x=1');
    expect(redactUrl('/api/x/?a=1&TOKEN=zz')).toBe('/api/x/?a=1&TOKEN=[redacted]');
  });
});
