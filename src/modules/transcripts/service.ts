import { randomUUID } from 'node:crypto';
import { ApiError, badRequest, notFound } from '../../infra/http/errors.js';
import type { JobQueue } from '../../infra/queue/index.js';
import { EXTRACT_NOTES_JOB, type ExtractNotesJob, notesJobId } from '../../pipeline/process-notes.js';
import type { InteractionsRepository } from '../interactions/repository.js';
import { MAX_TRANSCRIPTION_CHARS } from '../interactions/schemas.js';
import type { RelationshipsRepository } from '../relationships/repository.js';
import { parseTranscript, type TranscriptFormat, TranscriptFormatError } from './parse.js';
import { matchSpeaker } from './speakers.js';

/**
 * Transcripts from elsewhere (Zoom/Teams/Meet VTT or SRT, Otter or plain `Name: text`): stored as
 * the interaction's transcription and segments, speakers matched to its participants by name, and
 * the notes work queued exactly as after a recorded call.
 */
export class TranscriptsService {
  constructor(
    private readonly interactions: InteractionsRepository,
    private readonly relationships: RelationshipsRepository,
    private readonly queue: JobQueue,
  ) {}

  /** `field` names the input in errors: `file` for an upload, `text` for JSON. */
  async import(
    userId: number,
    interactionId: number,
    content: string,
    format: TranscriptFormat | undefined,
    field: 'file' | 'text',
  ): Promise<void> {
    const interaction = await this.interactions.get(userId, interactionId);
    if (!interaction) throw notFound();
    let lines: ReturnType<typeof parseTranscript>;
    try {
      lines = parseTranscript(content, format);
    } catch (error) {
      if (error instanceof TranscriptFormatError) throw badRequest({ [field]: [error.message] });
      throw error;
    }
    if (lines.length === 0) throw badRequest({ [field]: ['The transcript has no text.'] });
    const transcription = lines.map((l) => (l.speaker ? `${l.speaker}: ${l.text}` : l.text)).join('\n');
    if (transcription.length > MAX_TRANSCRIPTION_CHARS) {
      throw badRequest({
        [field]: [`Ensure this field has no more than ${MAX_TRANSCRIPTION_CHARS} characters.`],
      });
    }

    const names = await this.relationships.namesOf(userId, interaction.participants);
    const people = [...names].map(([relationshipId, name]) => ({ relationshipId, name }));
    const segments = lines.map((line) => ({
      // Plain text has no times: 0, kept in order by insertion.
      start: line.start ?? 0,
      end: line.end ?? line.start ?? 0,
      text: line.text,
      voiceSignatureId: null,
      speakerName: line.speaker?.slice(0, 255) ?? null,
      relationshipId: line.speaker ? (matchSpeaker(line.speaker, people)?.relationshipId ?? null) : null,
    }));

    const runId = randomUUID();
    const queued = await this.interactions.queueNotesRun(userId, interactionId, runId);
    if (queued === undefined) throw notFound();
    if (!queued) {
      throw new ApiError(409, {
        detail:
          'The recording of this interaction is being processed; import the transcript when it has finished.',
      });
    }
    await this.interactions.saveTranscript(userId, interactionId, { transcription, segments });
    const job: ExtractNotesJob = { interactionId, userId, runId };
    await this.queue.enqueue(EXTRACT_NOTES_JOB, job, { jobId: notesJobId(job) });
  }
}
