import type { FastifyBaseLogger as Logger } from 'fastify';
import type { Storage } from '../infra/storage/index.js';
import type { SignaturesRepository } from '../modules/signatures/repository.js';
import { createVoiceSignature } from '../modules/signatures/voice-samples.js';
import { cosine } from '../pipeline/speech/diarize.js';
import type { LiveSpeechThreads } from '../pipeline/speech/live-threads.js';
import type { LiveSpeechEvent } from '../pipeline/speech/live-transcriber.js';
import type { EmbedResult } from '../pipeline/speech/worker.js';
import type { AudioSession, CallSink } from './engines.js';

export type LiveSpeechDeps = {
  threads: LiveSpeechThreads;
  signatures: SignaturesRepository;
  /** Where a new voice's sample goes. */
  storage: Storage;
  log: Logger;
};

/** One voice heard in this call: who it is, and the running mean of its utterances. */
type CallSpeaker = {
  voiceSignatureId: number;
  relationshipId: number | null;
  /** Cosine similarity to the signature when the voice was recognised (1 for a new voice). */
  confidence: number;
  centroid: number[];
  utterances: number;
};

/**
 * Speech in a live call: the speech thread cuts the stream into utterances, sends the
 * recogniser's guesses while one is spoken (partial updates) and its final text and voice when it
 * ends; here each final utterance is attributed to a speaker of this call — the same voice as an
 * earlier utterance, else a voice signature of the user (known person or unknown voice), else a
 * new unknown voice — which needs the database, so it stays on the event loop.
 */
export function openLiveSpeech(deps: LiveSpeechDeps, call: CallSink): AudioSession {
  const speakers: CallSpeaker[] = [];
  /** Call time (s) of the first sample the thread got: its times are relative to it. */
  let origin: number | undefined;
  // Events are handled in order, so a partial never overtakes the final before it.
  let work: Promise<void> = Promise.resolve();
  const speakerOf = async (voice: EmbedResult): Promise<CallSpeaker | null> => {
    const { embedding } = voice;
    if (!embedding) return null;
    let best: CallSpeaker | undefined;
    let bestSimilarity = -1;
    for (const speaker of speakers) {
      const similarity = cosine(speaker.centroid, embedding);
      if (similarity > bestSimilarity) [best, bestSimilarity] = [speaker, similarity];
    }
    if (best && bestSimilarity >= voice.clusterThreshold) {
      best.centroid = best.centroid.map(
        (x, i) => (x * best.utterances + embedding[i]!) / (best.utterances + 1),
      );
      best.utterances++;
      return best;
    }
    const [nearest] = await deps.signatures.nearest(call.userId, 'voice', embedding, 1, voice.engine);
    const similarity = nearest ? 1 - nearest.distance : -1;
    let speaker: CallSpeaker;
    if (nearest && similarity >= voice.matchThreshold) {
      await deps.signatures.recordVoiceSighting(call.userId, nearest.id, voice.engine, embedding, new Date());
      speaker = {
        voiceSignatureId: nearest.id,
        relationshipId: nearest.relationshipId,
        confidence: similarity,
        centroid: embedding,
        utterances: 1,
      };
    } else {
      const created = await createVoiceSignature(deps, call.userId, {
        embedding,
        engine: voice.engine,
        seenAt: new Date(),
        sample: voice.sample,
      });
      speaker = {
        voiceSignatureId: created.id,
        relationshipId: null,
        confidence: 1,
        centroid: embedding,
        utterances: 1,
      };
    }
    speakers.push(speaker);
    return speaker;
  };

  const handle = async (event: LiveSpeechEvent) => {
    const start = (origin ?? 0) + event.start;
    const end = (origin ?? 0) + event.end;
    if (event.kind === 'partial') {
      call.transcript({
        start,
        end,
        text: event.text,
        voiceSignatureId: null,
        relationshipId: null,
        isFinal: false,
      });
      return;
    }
    const speaker = event.text && event.voice ? await speakerOf(event.voice) : null;
    if (speaker?.relationshipId != null) {
      await call.identified({
        relationshipId: speaker.relationshipId,
        voiceSignatureId: speaker.voiceSignatureId,
        confidence: speaker.confidence,
        at: start,
      });
    } else if (speaker) {
      call.unknown({ voiceSignatureId: speaker.voiceSignatureId, at: start });
    }
    call.transcript({
      start,
      end,
      text: event.text,
      voiceSignatureId: speaker?.voiceSignatureId ?? null,
      relationshipId: speaker?.relationshipId ?? null,
      isFinal: true,
    });
  };

  const session = deps.threads.open((events) => {
    for (const event of events) {
      work = work.then(() =>
        handle(event).catch((error) => deps.log.warn({ err: error }, 'live call: an utterance failed')),
      );
    }
  });

  return {
    push(samples, at) {
      origin ??= at;
      session.push(samples);
    },
    async finish() {
      await session.finish();
      await work;
    },
  };
}
