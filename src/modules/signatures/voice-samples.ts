import { Readable } from 'node:stream';
import { encodeWav } from '../../infra/media/wav.js';
import type { Storage } from '../../infra/storage/index.js';
import type { SignatureRow, SignaturesRepository } from './repository.js';

export const voiceSampleKey = (userId: number, signatureId: number) => `voices/${userId}/${signatureId}.wav`;

/**
 * Stores a new voice signature with a few seconds of the voice (16 kHz WAV), so that an unknown
 * voice can be heard before it is named. Recorded calls, live calls and enrolment all create
 * voices through here.
 */
export async function createVoiceSignature(
  deps: { signatures: SignaturesRepository; storage: Storage },
  userId: number,
  values: {
    embedding: number[];
    engine: string;
    relationshipId?: number | null;
    seenAt?: Date;
    sample: Float32Array | null;
  },
): Promise<SignatureRow> {
  const { sample, ...row } = values;
  const created = await deps.signatures.create(userId, 'voice', row);
  if (!sample) return created;
  const key = voiceSampleKey(userId, created.id);
  await deps.storage.put(key, Readable.from([encodeWav(sample)]));
  await deps.signatures.setVoiceSample(userId, created.id, key);
  return { ...created, samplePath: key };
}
