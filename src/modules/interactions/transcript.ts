/** Segments of a transcript with who said them: a person's name, or null for an unknown voice. */
export type LabelledSegment = { text: string; voiceSignatureId: number | null; name: string | null };

/**
 * The transcript text: one `Label: text` line per speaker turn (consecutive segments of one
 * speaker joined). Known people by name; unknown voices "Speaker 1", "Speaker 2"… in order of
 * first appearance; speech nobody could be attributed to "Unknown speaker".
 */
export function formatTranscript(segments: LabelledSegment[]): string {
  const unknown = new Map<number, string>();
  const label = (s: LabelledSegment) => {
    if (s.name) return s.name;
    if (s.voiceSignatureId === null) return 'Unknown speaker';
    if (!unknown.has(s.voiceSignatureId)) unknown.set(s.voiceSignatureId, `Speaker ${unknown.size + 1}`);
    return unknown.get(s.voiceSignatureId)!;
  };
  const lines: { label: string; text: string }[] = [];
  for (const segment of segments) {
    const text = segment.text.trim();
    if (!text) continue;
    const who = label(segment);
    const last = lines[lines.length - 1];
    if (last && last.label === who) last.text += ` ${text}`;
    else lines.push({ label: who, text });
  }
  return lines.map((l) => `${l.label}: ${l.text}`).join('\n');
}
