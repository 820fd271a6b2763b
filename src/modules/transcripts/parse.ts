import { type NodeCue, parseSync } from 'subtitle';

export const TRANSCRIPT_FORMATS = ['VTT', 'SRT', 'TEXT'] as const;
export type TranscriptFormat = (typeof TRANSCRIPT_FORMATS)[number];

/** One utterance of an imported transcript; times in seconds (null for plain text). */
export type TranscriptLine = {
  start: number | null;
  end: number | null;
  speaker: string | null;
  text: string;
};

export class TranscriptFormatError extends Error {
  override name = 'TranscriptFormatError';
}

/** WebVTT starts with WEBVTT; SRT with a cue number and a `00:00:01,000 -->` line; anything else is text. */
export function detectFormat(content: string): TranscriptFormat {
  const start = content.replace(/^\uFEFF/, '').trimStart();
  if (/^WEBVTT\b/.test(start)) return 'VTT';
  if (/^\d+\s*\r?\n\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->/.test(start)) return 'SRT';
  return 'TEXT';
}

/**
 * "Ann Baker: text", "[Ann Baker] text", "ANN: text", Otter's "Ann Baker  0:12" header lines, and
 * VTT voice tags (`<v Ann Baker>text</v>`, Teams). Only short name-like prefixes count, so "Note:
 * the time was 10:30" stays text.
 */
const NAME = String.raw`[\p{L}][\p{L}\p{M}'’.\-]*(?: [\p{L}\p{M}'’.\-]+){0,3}|Speaker \d+|SPEAKER_\d+`;
const COLON_SPEAKER = new RegExp(`^(?:\\[?\\d{1,2}:\\d{2}(?::\\d{2})?\\]?\\s+)?(${NAME})\\s*:\\s+(.+)$`, 'u');
const BRACKET_SPEAKER = new RegExp(`^\\[(${NAME})\\]\\s*(.+)$`, 'u');
const OTTER_HEADER = new RegExp(`^(${NAME})\\s+(?:\\d{1,2}:)?\\d{1,2}:\\d{2}\\s*$`, 'u');
const VOICE_TAG = /^<v(?:\.[^\s>]+)*\s+([^>]+)>([\s\S]*?)(?:<\/v>)?$/;

const stripTags = (text: string) =>
  text
    .replace(/<[^>]+>/g, '')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&nbsp;/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

function splitSpeaker(text: string): { speaker: string | null; text: string } {
  const voice = VOICE_TAG.exec(text.trim());
  if (voice) return { speaker: voice[1]!.trim(), text: stripTags(voice[2]!) };
  const plain = stripTags(text);
  const colon = COLON_SPEAKER.exec(plain) ?? BRACKET_SPEAKER.exec(plain);
  if (colon) return { speaker: colon[1]!.trim(), text: colon[2]!.trim() };
  return { speaker: null, text: plain };
}

function parseCues(content: string): TranscriptLine[] {
  let nodes: ReturnType<typeof parseSync>;
  try {
    nodes = parseSync(content.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new TranscriptFormatError(`The subtitles could not be read: ${(error as Error).message}`);
  }
  const lines: TranscriptLine[] = [];
  for (const node of nodes) {
    if (node.type !== 'cue') continue;
    const cue = (node as NodeCue).data;
    const { speaker, text } = splitSpeaker(cue.text);
    if (!text) continue;
    const previous = lines.at(-1);
    // Subtitles cut one utterance into many cues: consecutive cues of one speaker are one line.
    if (
      previous &&
      previous.speaker === speaker &&
      speaker !== null &&
      cue.start / 1000 - (previous.end ?? 0) < 2
    ) {
      previous.text = `${previous.text} ${text}`;
      previous.end = cue.end / 1000;
      continue;
    }
    lines.push({ start: cue.start / 1000, end: cue.end / 1000, speaker, text });
  }
  return lines;
}

function parseText(content: string): TranscriptLine[] {
  const lines: TranscriptLine[] = [];
  let pendingSpeaker: string | null = null;
  for (const raw of content.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const header = OTTER_HEADER.exec(line);
    if (header) {
      pendingSpeaker = header[1]!.trim();
      continue;
    }
    const { speaker, text } = splitSpeaker(line);
    if (!text) continue;
    const who = speaker ?? pendingSpeaker;
    const previous = lines.at(-1);
    if (previous && speaker === null && previous.speaker === who) {
      previous.text = `${previous.text} ${text}`;
      continue;
    }
    lines.push({ start: null, end: null, speaker: who, text });
  }
  return lines;
}

/** An imported transcript as utterances; throws TranscriptFormatError when VTT/SRT is malformed. */
export function parseTranscript(
  content: string,
  format: TranscriptFormat = detectFormat(content),
): TranscriptLine[] {
  return format === 'TEXT' ? parseText(content) : parseCues(content);
}
