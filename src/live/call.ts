import type { FastifyBaseLogger as Logger } from 'fastify';
import type { InteractionsRepository } from '../modules/interactions/repository.js';
import { toNoteOut } from '../modules/notes/routes.js';
import type { NotesService } from '../modules/notes/service.js';
import type { RelationshipsService } from '../modules/relationships/service.js';
import { StreamResampler } from './audio.js';
import type { AudioSession, CallSink, LiveEngines, LiveSegment, VideoSession } from './engines.js';
import type { RelationshipRef, ServerMessage } from './protocol.js';

/** How many of a person's notes `participant_identified` carries (the spec's maximum). */
export const NOTES_PER_PARTICIPANT = 10;

export type CallDeps = {
  interactions: InteractionsRepository;
  relationships: RelationshipsService;
  notes: NotesService;
  engines: LiveEngines;
  log: Logger;
};

type Participant = {
  relationshipId: number | null;
  faceSignatureId: number | null;
  voiceSignatureId: number | null;
  confidence: number;
  firstSeenAt: number;
};

/**
 * One live call: what was heard and seen, whom it met, and the connection it answers to (none
 * while the client is away during the grace period). Frames are handled newest-first: while the
 * face engine works, a newer frame replaces the waiting one, so work never queues up.
 */
export class LiveCall implements CallSink {
  private connection: ((message: ServerMessage) => void) | null = null;
  private readonly video: VideoSession | undefined;
  private readonly audio: AudioSession | undefined;
  private readonly resampler = new StreamResampler();
  private videoBusy: Promise<void> | null = null;
  private waitingFrame: { image: Buffer; at: number } | null = null;
  private readonly segments: LiveSegment[] = [];
  private readonly people = new Map<number, Participant & { name: string }>();
  private readonly unknowns = new Map<string, Participant>();
  /** Voices named during the call: the signature they became (a merge may keep another) and whose. */
  private readonly namedVoices = new Map<number, { voiceSignatureId: number; relationshipId: number }>();
  /**
   * Signatures named during the call (`face:ID`, `voice:ID`): an engine that still reports one as
   * unknown (its lookup began before the naming, or its speaker cache is older) is not heard.
   */
  private readonly named = new Set<string>();
  /** Where the next audio chunk starts when the client sends no timestamps (seconds). */
  private audioClock = 0;
  private ending: Promise<{ summary: string; notesCreated: number }> | null = null;
  readonly stats = { framesReceived: 0, framesDropped: 0, audioSeconds: 0 };

  constructor(
    readonly userId: number,
    readonly interactionId: number,
    private readonly deps: CallDeps,
    private readonly startedAt = performance.now(),
  ) {
    this.video = deps.engines.openVideo?.(this);
    this.audio = deps.engines.openAudio?.(this);
  }

  get ended(): boolean {
    return this.ending !== null;
  }

  /** Seconds since the call started: the default timestamp of a chunk sent without one. */
  elapsed(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  /** A connection takes the call (a reconnect, or another device): the previous one is told. */
  attach(send: (message: ServerMessage) => void): void {
    if (this.connection && this.connection !== send)
      this.connection({
        type: 'error',
        code: 'call_in_progress',
        message: `Call ${this.interactionId} continues on another connection.`,
      });
    this.connection = send;
  }

  isAttached(send: (message: ServerMessage) => void): boolean {
    return this.connection === send;
  }

  detach(): void {
    this.connection = null;
  }

  private send(message: ServerMessage): void {
    this.connection?.(message);
  }

  // --- input ---------------------------------------------------------------------------------------

  videoFrame(image: Buffer, at: number): void {
    this.stats.framesReceived++;
    if (!this.video || this.ending) return;
    if (this.videoBusy) {
      if (this.waitingFrame) this.stats.framesDropped++;
      this.waitingFrame = { image, at };
      return;
    }
    this.videoBusy = this.processFrames(image, at);
  }

  private async processFrames(image: Buffer, at: number): Promise<void> {
    let next: { image: Buffer; at: number } | null = { image, at };
    while (next) {
      try {
        await this.video!.frame(next.image, next.at);
      } catch (error) {
        this.deps.log.warn({ err: error, interaction: this.interactionId }, 'live call: a frame failed');
      }
      next = this.waitingFrame;
      this.waitingFrame = null;
    }
    this.videoBusy = null;
  }

  async audioChunk(samples: Float32Array, sampleRate: number, at: number | undefined): Promise<void> {
    if (this.ending) return;
    const resampled = await this.resampler.push(samples, sampleRate);
    const start = at ?? this.audioClock;
    this.audioClock = start + samples.length / sampleRate;
    this.stats.audioSeconds += samples.length / sampleRate;
    this.audio?.push(resampled, start);
  }

  // --- what engines report (CallSink) --------------------------------------------------------------

  async identified(found: {
    relationshipId: number;
    faceSignatureId?: number;
    voiceSignatureId?: number;
    confidence: number;
    at: number;
  }): Promise<void> {
    const known = this.people.get(found.relationshipId);
    if (known) {
      known.confidence = Math.max(known.confidence, found.confidence);
      known.faceSignatureId ??= found.faceSignatureId ?? null;
      known.voiceSignatureId ??= found.voiceSignatureId ?? null;
      return;
    }
    const entry = {
      relationshipId: found.relationshipId,
      faceSignatureId: found.faceSignatureId ?? null,
      voiceSignatureId: found.voiceSignatureId ?? null,
      confidence: found.confidence,
      firstSeenAt: found.at,
      name: '',
    };
    this.people.set(found.relationshipId, entry);
    const relationship = await this.deps.relationships
      .get(this.userId, found.relationshipId)
      .catch(() => null);
    if (!relationship) {
      this.people.delete(found.relationshipId);
      return;
    }
    entry.name = relationship.name;
    await this.announce(
      { id: relationship.id, name: relationship.name, relationship_type: relationship.relationshipType },
      found,
    );
  }

  private async announce(
    relationship: RelationshipRef,
    found: { faceSignatureId?: number; voiceSignatureId?: number; confidence: number },
  ): Promise<void> {
    const { rows } = await this.deps.notes.listForRelationship(this.userId, relationship.id, {
      page: 1,
      pageSize: NOTES_PER_PARTICIPANT,
      offset: 0,
    });
    this.send({
      type: 'participant_identified',
      relationship,
      ...(found.faceSignatureId ? { face_signature_id: found.faceSignatureId } : {}),
      ...(found.voiceSignatureId ? { voice_signature_id: found.voiceSignatureId } : {}),
      confidence: Math.min(1, Math.max(0, found.confidence)),
      notes: rows.map(toNoteOut),
    });
  }

  unknown(found: {
    faceSignatureId?: number;
    voiceSignatureId?: number;
    thumbnail?: string;
    at: number;
  }): void {
    const key = found.faceSignatureId ? `face:${found.faceSignatureId}` : `voice:${found.voiceSignatureId}`;
    if (this.unknowns.has(key) || this.named.has(key)) return;
    this.unknowns.set(key, {
      relationshipId: null,
      faceSignatureId: found.faceSignatureId ?? null,
      voiceSignatureId: found.voiceSignatureId ?? null,
      confidence: 0,
      firstSeenAt: found.at,
    });
    this.send({
      type: 'new_participant',
      ...(found.faceSignatureId ? { face_signature_id: found.faceSignatureId } : {}),
      ...(found.voiceSignatureId ? { voice_signature_id: found.voiceSignatureId } : {}),
      ...(found.thumbnail ? { thumbnail: found.thumbnail } : {}),
    });
  }

  transcript(segment: LiveSegment & { isFinal: boolean }): void {
    const named =
      segment.voiceSignatureId === null ? undefined : this.namedVoices.get(segment.voiceSignatureId);
    const update = named ? { ...segment, ...named } : segment;
    if (update.isFinal && update.text.trim()) this.segments.push(update);
    this.send({
      type: 'transcription_update',
      text: update.text,
      start: update.start,
      end: update.end,
      is_final: update.isFinal,
      speaker:
        update.voiceSignatureId === null
          ? null
          : { voice_signature_id: update.voiceSignatureId, relationship_id: update.relationshipId },
    });
  }

  /** The user named an unknown participant (`assign_participant`): from now on they are known. */
  async assigned(
    relationship: RelationshipRef,
    signature: { faceSignatureId?: number; voiceSignatureId?: number },
    /** The signature the user named, when merging kept another one (`signature`). */
    namedId: number,
  ): Promise<void> {
    const kind = signature.faceSignatureId ? 'face' : 'voice';
    const key = `${kind}:${namedId}`;
    const unknown = this.unknowns.get(key);
    this.unknowns.delete(key);
    this.named.add(key);
    this.named.add(`${kind}:${signature.faceSignatureId ?? signature.voiceSignatureId}`);
    if (signature.voiceSignatureId) {
      const named = { voiceSignatureId: signature.voiceSignatureId, relationshipId: relationship.id };
      this.namedVoices.set(namedId, named);
      for (const segment of this.segments) {
        if (segment.voiceSignatureId === namedId) Object.assign(segment, named);
      }
    }
    if (!this.people.has(relationship.id)) {
      this.people.set(relationship.id, {
        relationshipId: relationship.id,
        faceSignatureId: signature.faceSignatureId ?? null,
        voiceSignatureId: signature.voiceSignatureId ?? null,
        confidence: 1,
        firstSeenAt: unknown?.firstSeenAt ?? this.elapsed(),
        name: relationship.name,
      });
    }
    await this.announce(relationship, { ...signature, confidence: 1 });
  }

  // --- the end -------------------------------------------------------------------------------------

  /**
   * Finishes the call once (a second `call_end`, or the grace timer after one, gets the same
   * result): pending utterances, the transcript and participants stored on the interaction, then
   * notes and the summary.
   */
  end(): Promise<{ summary: string; notesCreated: number }> {
    this.ending ??= this.finish();
    return this.ending;
  }

  private async finish(): Promise<{ summary: string; notesCreated: number }> {
    const { interactions, engines, log } = this.deps;
    await this.videoBusy;
    await this.video?.close();
    await this.audio?.finish();
    this.resampler.close();

    const segments = [...this.segments].sort((a, b) => a.start - b.start);
    const speakerNames = new Map<number, string>();
    const label = (segment: LiveSegment): string => {
      if (segment.relationshipId !== null) {
        const person = this.people.get(segment.relationshipId);
        if (person?.name) return person.name;
      }
      if (segment.voiceSignatureId === null) return '';
      if (!speakerNames.has(segment.voiceSignatureId))
        speakerNames.set(segment.voiceSignatureId, `Speaker ${speakerNames.size + 1}`);
      return speakerNames.get(segment.voiceSignatureId)!;
    };
    const transcription = segments
      .map((segment) => {
        const speaker = label(segment);
        return speaker ? `${speaker}: ${segment.text.trim()}` : segment.text.trim();
      })
      .join('\n');
    await interactions.saveTranscript(this.userId, this.interactionId, {
      transcription,
      segments: segments.map(({ start, end, text, voiceSignatureId }) => ({
        start,
        end,
        text,
        voiceSignatureId,
      })),
    });
    const participants = [...this.people.values(), ...this.unknowns.values()];
    await interactions.addIdentifiedParticipants(
      this.userId,
      this.interactionId,
      participants.map((p) => ({
        relationshipId: p.relationshipId,
        faceSignatureId: p.faceSignatureId,
        voiceSignatureId: p.voiceSignatureId,
        confidence: p.confidence,
        firstSeenAt: p.firstSeenAt,
      })),
    );
    await interactions.addParticipants(this.userId, this.interactionId, [...this.people.keys()]);

    let summary = '';
    let notesCreated = 0;
    if (engines.summarize && transcription) {
      try {
        const result = await engines.summarize(this.userId, this.interactionId);
        summary = result.summary;
        notesCreated = result.notes.length;
        for (const note of result.notes) this.send({ type: 'note_generated', note });
      } catch (error) {
        log.error({ err: error, interaction: this.interactionId }, 'live call: note extraction failed');
      }
    }
    log.info(
      { interaction: this.interactionId, segments: segments.length, people: this.people.size, ...this.stats },
      'live call ended',
    );
    return { summary, notesCreated };
  }
}
