import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AppConfig } from '../../infra/config/config.js';
import { badRequest, notFound } from '../../infra/http/errors.js';
import { extractAudio, isMediaError } from '../../infra/media/index.js';
import { readWav } from '../../infra/media/wav.js';
import type { Storage } from '../../infra/storage/index.js';
import type { SpeechWorkers } from '../../pipeline/speech/pool.js';
import type { RelationshipsRepository } from '../relationships/repository.js';
import type { SignatureRow, SignaturesRepository } from './repository.js';
import { createVoiceSignature } from './voice-samples.js';

/** Enrolment needs this much speech (after the VAD removed silences) for a dependable signature. */
export const MIN_ENROLMENT_SPEECH_SECONDS = 3;

/**
 * `POST /api/relationships/{id}/voices/`: a recording of the person → their voice signature,
 * merged with the signatures they already have of the same engine.
 */
export class VoiceEnrolmentService {
  constructor(
    private readonly config: AppConfig,
    private readonly speech: SpeechWorkers,
    private readonly signatures: SignaturesRepository,
    private readonly relationships: RelationshipsRepository,
    private readonly storage: Storage,
  ) {}

  /** 404 unless the person is the user's (before any upload is read). */
  async assertOwned(userId: number, relationshipId: number): Promise<void> {
    if (!(await this.relationships.ownedIds(userId, [relationshipId])).has(relationshipId)) throw notFound();
  }

  async enrol(userId: number, relationshipId: number, upload: Readable): Promise<SignatureRow> {
    await this.assertOwned(userId, relationshipId);
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rapport-voice-'));
    try {
      const input = path.join(dir, 'upload');
      await pipeline(upload, fs.createWriteStream(input));
      const wav = path.join(dir, 'audio.wav');
      try {
        await extractAudio(input, wav, { ffmpeg: this.config.ffmpeg });
      } catch (error) {
        if (isMediaError(error) && error.isUserError) throw badRequest({ audio: [error.message] });
        throw error;
      }
      const { samples } = await readWav(wav);
      const result = await this.speech.embed(samples);
      if (result.embedding === null || result.speechSeconds < MIN_ENROLMENT_SPEECH_SECONDS) {
        throw badRequest({
          audio: [
            `The recording has ${result.speechSeconds.toFixed(1)} s of speech; at least ${MIN_ENROLMENT_SPEECH_SECONDS} s are needed.`,
          ],
        });
      }
      const created = await createVoiceSignature(
        { signatures: this.signatures, storage: this.storage },
        userId,
        {
          embedding: result.embedding,
          engine: result.engine,
          relationshipId,
          sample: result.sample,
        },
      );
      // One person, one signature per engine: merge with what they already have.
      const survivor = (await this.signatures.assign(userId, 'voice', created.id, relationshipId)) ?? created;
      // The person keeps the sample they had; this recording's is no longer referenced.
      if (created.samplePath && survivor.samplePath !== created.samplePath)
        await this.storage.delete(created.samplePath);
      return survivor;
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }
}
