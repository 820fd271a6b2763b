import { describe, expect, it } from 'vitest';
import { formatTranscript } from '../../src/modules/interactions/transcript.js';
import { attribute, recognitionChunks } from '../../src/pipeline/speech/analyse.js';
import { diarizationErrorRate, parseRttm, parseUem } from '../../src/pipeline/speech/der.js';
import { clusterEmbeddings } from '../../src/pipeline/speech/diarize.js';

const rttm = (lines: [number, number, string][], file = 'f') =>
  parseRttm(lines.map(([s, d, who]) => `SPEAKER ${file} 1 ${s} ${d} <NA> <NA> ${who} <NA> <NA>`).join('\n'));

describe('DER (NIST definition, 0.25 s collar)', () => {
  const reference = rttm([
    [0, 10, 'A'],
    [10, 10, 'B'],
  ]);

  it('is 0 for a perfect hypothesis, whatever the labels are called', () => {
    const hyp = rttm([
      [0, 10, 'spk7'],
      [10, 10, 'spk3'],
    ]);
    expect(diarizationErrorRate(reference, hyp).der).toBe(0);
  });

  it('counts missed speech', () => {
    const hyp = rttm([[0, 10, 'x']]);
    const r = diarizationErrorRate(reference, hyp, { collar: 0 });
    expect(r.missed).toBeCloseTo(10, 5);
    expect(r.der).toBeCloseTo(0.5, 5);
  });

  it('counts false alarm', () => {
    const hyp = rttm([
      [0, 10, 'x'],
      [10, 10, 'y'],
      [20, 5, 'y'],
    ]);
    const r = diarizationErrorRate(reference, hyp, { collar: 0 });
    expect(r.falseAlarm).toBeCloseTo(5, 5);
    expect(r.der).toBeCloseTo(0.25, 5);
  });

  it('counts confusion under the best one-to-one mapping', () => {
    // One label for everybody: half the speech is attributed to the wrong person.
    const hyp = rttm([[0, 20, 'x']]);
    const r = diarizationErrorRate(reference, hyp, { collar: 0 });
    expect(r.confusion).toBeCloseTo(10, 5);
    expect(r.der).toBeCloseTo(0.5, 5);
  });

  it('does not score a collar around reference boundaries', () => {
    // The hypothesis switches 0.2 s late: inside the collar, so no error.
    const hyp = rttm([
      [0, 10.2, 'x'],
      [10.2, 9.8, 'y'],
    ]);
    expect(diarizationErrorRate(reference, hyp, { collar: 0.25 }).der).toBe(0);
    expect(diarizationErrorRate(reference, hyp, { collar: 0 }).der).toBeGreaterThan(0);
  });

  it('counts overlapping speech once per speaker', () => {
    const overlap = rttm([
      [0, 10, 'A'],
      [5, 10, 'B'],
    ]);
    const hyp = rttm([
      [0, 10, 'x'],
      [10, 5, 'y'],
    ]);
    const r = diarizationErrorRate(overlap, hyp, { collar: 0 });
    expect(r.total).toBeCloseTo(20, 5);
    expect(r.missed).toBeCloseTo(5, 5);
  });

  it('scores only the UEM regions', () => {
    const uem = parseUem('f NA 0.000 10.000');
    const hyp = rttm([[0, 10, 'x']]);
    expect(diarizationErrorRate(reference, hyp, { collar: 0, regions: uem }).der).toBe(0);
  });
});

describe('transcript pieces and speakers', () => {
  it('labels speakers by name, unknown voices in order of appearance, joining turns', () => {
    expect(
      formatTranscript([
        { text: 'hello', voiceSignatureId: 7, name: null },
        { text: 'there', voiceSignatureId: 7, name: null },
        { text: 'hi', voiceSignatureId: 3, name: 'Ann' },
        { text: 'and me', voiceSignatureId: 9, name: null },
        { text: '?', voiceSignatureId: null, name: null },
      ]),
    ).toBe('Speaker 1: hello there\nAnn: hi\nSpeaker 2: and me\nUnknown speaker: ?');
  });

  it('splits a piece with word times where the speaker changes', () => {
    const turns = [
      { start: 0, end: 2, speaker: 0 },
      { start: 2, end: 4, speaker: 1 },
    ];
    const segments = attribute(
      [
        {
          start: 0,
          end: 4,
          text: 'one two three four',
          words: [
            { start: 0.1, end: 0.9, word: 'one' },
            { start: 1, end: 1.8, word: 'two' },
            { start: 2.1, end: 2.9, word: 'three' },
            { start: 3, end: 3.9, word: 'four' },
          ],
        },
        { start: 2.2, end: 3.8, text: 'no word times' },
      ],
      turns,
    );
    expect(segments).toEqual([
      { start: 0.1, end: 1.8, text: 'one two', speaker: 0 },
      { start: 2.1, end: 3.9, text: 'three four', speaker: 1 },
      { start: 2.2, end: 3.8, text: 'no word times', speaker: 1 },
    ]);
  });

  it('joins VAD regions across short pauses for the recogniser, padded', () => {
    expect(
      recognitionChunks(
        [
          { start: 1, end: 2 },
          { start: 2.5, end: 3 },
          { start: 5, end: 6 },
        ],
        6.1,
      ),
    ).toEqual([
      { start: 0.75, end: 3.25 },
      { start: 4.75, end: 6.1 },
    ]);
  });

  it('clusters embeddings by average linkage', () => {
    const a = Float32Array.from([1, 0.1, 0]);
    const b = Float32Array.from([0, 1, 0.1]);
    const labels = clusterEmbeddings([a, b, a.map((x) => x * 2), b.map((x) => x + 0.01), a], 0.8);
    expect(labels).toEqual([0, 1, 0, 1, 0]);
    expect(clusterEmbeddings([a, b], -1)).toEqual([0, 0]);
  });
});
