import type { FastifyBaseLogger as Logger } from 'fastify';
import type { SignaturesRepository } from '../modules/signatures/repository.js';
import type { StreamingVoiceActivity, Utterance } from '../pipeline/engines/vad/vad.js';
import { cosine } from '../pipeline/speech/diarize.js';
import type { SpeechWorkers } from '../pipeline/speech/pool.js';
import type { EmbedResult } from '../pipeline/speech/worker.js';
import type { AudioSession, CallSink } from './engines.js';

export type LiveSpeechDeps = {
  workers: SpeechWorkers;
  signatures: SignaturesRepository;
  /** A fresh streaming voice-activity detector (one per call). */
  openVad: () => StreamingVoiceActivity;
  log: Logger;
};

/** A tenth of a second of silence: enough to load the recogniser. */
const SPEECH_WARM_UP_SAMPLES = 1600;

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
 * Speech in a live call: voice activity cuts the stream into utterances; each is transcribed and
 * its voice embedded in the speech worker threads (in order, one after another), then attributed
 * to a speaker of this call — the same voice as an earlier utterance, else a voice signature of
 * the user (known person or unknown voice), else a new unknown voice. Final segments only: the
 * offline recognisers decode whole utterances.
 */
export function openLiveSpeech(deps: LiveSpeechDeps, call: CallSink): AudioSession {
  const vad = deps.openVad();
  // Start the speech thread and load its models now, not on the first utterance of the call.
  let work: Promise<void> = deps.workers
    .transcribe(new Float32Array(SPEECH_WARM_UP_SAMPLES))
    .then(() => undefined)
    .catch((error) => deps.log.warn({ err: error }, 'live call: the speech engine did not start'));
  const speakers: CallSpeaker[] = [];
  /** Call time (s) of the first sample the detector got: utterance times are relative to it. */
  let origin: number | undefined;

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
      const created = await deps.signatures.create(call.userId, 'voice', {
        embedding,
        engine: voice.engine,
        seenAt: new Date(),
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

  const handle = async (utterance: Utterance) => {
    const start = (origin ?? 0) + utterance.start;
    const end = (origin ?? 0) + utterance.end;
    const [segments, voice] = await Promise.all([
      deps.workers.transcribe(utterance.samples),
      deps.workers.embed(utterance.samples),
    ]);
    const text = segments
      .map((s) => s.text.trim())
      .filter(Boolean)
      .join(' ');
    if (!text) return;
    const speaker = await speakerOf(voice);
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
      text,
      voiceSignatureId: speaker?.voiceSignatureId ?? null,
      relationshipId: speaker?.relationshipId ?? null,
      isFinal: true,
    });
  };

  const enqueue = (utterances: Utterance[]) => {
    for (const utterance of utterances) {
      work = work.then(() =>
        handle(utterance).catch((error) => deps.log.warn({ err: error }, 'live call: an utterance failed')),
      );
    }
  };

  return {
    push(samples, at) {
      origin ??= at;
      enqueue(vad.push(samples));
    },
    async finish() {
      enqueue(vad.flush());
      await work;
    },
  };
}
