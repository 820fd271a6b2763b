import type { Storage } from '../../infra/storage/index.js';
import type { InteractionsRepository } from '../../modules/interactions/repository.js';
import type { SignaturesRepository } from '../../modules/signatures/repository.js';
import { createVoiceSignature } from '../../modules/signatures/voice-samples.js';
import type { Stage, StageContext } from '../pipeline.js';
import type { SpeechAnalysis } from '../speech/analyse.js';
import { asrStatus, voiceStatus } from '../speech/engines.js';
import type { SpeechWorkers } from '../speech/pool.js';

export type SpeechStageDeps = {
  workers: SpeechWorkers;
  interactions: InteractionsRepository;
  signatures: SignaturesRepository;
  /** Where new voices' samples go. */
  storage: Storage;
};

/**
 * Transcript, who spoke when, and who they are: the recording's speakers are matched against the
 * user's voice signatures of the same engine (cosine, the engine's measured threshold); unknown
 * speakers become unassigned signatures, reused when they speak in a later call. Segments and the
 * `Name: text` transcript are stored; recognised people join the participants.
 */
export function createSpeechStage(deps: SpeechStageDeps): Stage {
  const { workers, interactions } = deps;
  return {
    name: 'speech',
    weight: 6,
    appliesTo: (ctx) => ctx.audioFile !== undefined,
    async run(ctx, progress) {
      const voice = voiceStatus(workers.settings);
      if (!voice.available) {
        notice(ctx, `No speech analysis: ${voice.reason}`);
        return;
      }
      const asr = asrStatus(workers.settings);
      // Transcription turned off on purpose (ASR_ENGINE=none) is not worth a notice.
      if (!asr.available && workers.settings.asrEngine !== 'none')
        notice(ctx, `No transcript: ${asr.reason}`);
      const analysis = await workers.analyse(ctx.audioFile!, progress, ctx.signal);
      const speakerSignature = await matchSpeakers(ctx.userId, analysis, deps);
      const segments = analysis.segments.map((s) => ({
        start: s.start,
        end: s.end,
        text: s.text,
        voiceSignatureId: s.speaker === null ? null : (speakerSignature.get(s.speaker)?.id ?? null),
      }));
      if (asr.available) {
        await interactions.saveTranscript(ctx.userId, ctx.interactionId, { transcription: '', segments });
        await interactions.rebuildTranscriptions(ctx.userId, { interactionIds: [ctx.interactionId] });
      }
      const identified = [...speakerSignature.values()];
      await interactions.addIdentifiedParticipants(
        ctx.userId,
        ctx.interactionId,
        identified.map((s) => ({
          relationshipId: s.relationshipId,
          voiceSignatureId: s.id,
          faceSignatureId: null,
          confidence: s.confidence,
          firstSeenAt: s.firstSeen,
        })),
      );
      await interactions.addParticipants(
        ctx.userId,
        ctx.interactionId,
        identified.flatMap((s) => (s.relationshipId === null ? [] : [s.relationshipId])),
      );
    },
  };
}

/** Something the run could not do, shown on the completed interaction. */
function notice(ctx: StageContext, message: string): void {
  ctx.notices ??= [];
  ctx.notices.push(message);
}

type MatchedSpeaker = { id: number; relationshipId: number | null; confidence: number; firstSeen: number };

/** Each speaker of the recording → a voice signature of the user (existing, or new and unassigned). */
export async function matchSpeakers(
  userId: number,
  analysis: SpeechAnalysis,
  deps: { signatures: SignaturesRepository; storage: Storage },
): Promise<Map<number, MatchedSpeaker>> {
  const { signatures } = deps;
  const matched = new Map<number, MatchedSpeaker>();
  const taken = new Set<number>();
  const now = new Date();
  for (const speaker of analysis.speakers) {
    const candidates = await signatures.nearest(userId, 'voice', speaker.embedding, 3, analysis.voiceEngine);
    // Two speakers of one call are two people: a signature already matched is not reused.
    const best = candidates.find((c) => !taken.has(c.id));
    const similarity = best ? 1 - best.distance : -1;
    if (best && similarity >= analysis.voiceMatchThreshold) {
      taken.add(best.id);
      await signatures.recordVoiceSighting(userId, best.id, analysis.voiceEngine, speaker.embedding, now);
      matched.set(speaker.speaker, {
        id: best.id,
        relationshipId: best.relationshipId,
        confidence: similarity,
        firstSeen: speaker.firstSeen,
      });
      continue;
    }
    const created = await createVoiceSignature(deps, userId, {
      embedding: speaker.embedding,
      engine: analysis.voiceEngine,
      seenAt: now,
      sample: speaker.sample,
    });
    taken.add(created.id);
    // Nobody known: the speaker is this new (unassigned) voice, by construction.
    matched.set(speaker.speaker, {
      id: created.id,
      relationshipId: null,
      confidence: 1,
      firstSeen: speaker.firstSeen,
    });
  }
  return matched;
}
