import type { SignaturesRepository } from '../../modules/signatures/repository.js';
import type { RgbImage } from '../engines/face/face-engine.js';

export type FaceObservation = {
  /** Unit embedding of the person (a track's mean). */
  embedding: Float32Array;
  /** How many frames it stands for (the weight it adds to an unknown person's centroid). */
  samples: number;
  /** The best crop, kept as the thumbnail of a new unknown person. */
  crop: RgbImage;
  seenAt: Date;
  /** Signatures that already learned from this recording (a reprocess): matched, not taught again. */
  alreadyCounted?: ReadonlySet<number>;
};

export type Identification = {
  signatureId: number;
  relationshipId: number | null;
  /** Cosine distance to the signature (0 when it was created from this observation). */
  distance: number;
  created: boolean;
};

/**
 * Who a face is: the nearest of the user's face signatures by cosine distance (pgvector HNSW,
 * only the user's rows). Within the threshold it is that person, or that unknown person, whose
 * centroid then moves toward the new sighting; otherwise a new unknown person starts, with the
 * observation's best crop as thumbnail. This is incremental clustering in the spirit of Immich's:
 * an unknown face joins the nearest group within the distance, or starts one, across frames and
 * calls, so the user names each person once.
 */
export class FaceIdentifier {
  constructor(
    private readonly signatures: SignaturesRepository,
    private readonly saveThumbnail: (userId: number, signatureId: number, crop: RgbImage) => Promise<string>,
    private readonly threshold: number,
  ) {}

  async identify(userId: number, observation: FaceObservation): Promise<Identification> {
    const embedding = Array.from(observation.embedding);
    const [nearest] = await this.signatures.nearest(userId, 'face', embedding, 1);
    if (nearest && nearest.distance <= this.threshold) {
      // Enrolled people keep the signature the user gave them; unknown groups learn from each sighting.
      const counted = observation.alreadyCounted?.has(nearest.id) === true;
      await this.signatures.addSamples(userId, nearest.id, {
        embedding: nearest.relationshipId === null && !counted ? embedding : null,
        samples: counted ? 0 : observation.samples,
        seenAt: observation.seenAt,
      });
      return {
        signatureId: nearest.id,
        relationshipId: nearest.relationshipId,
        distance: nearest.distance,
        created: false,
      };
    }
    const created = await this.signatures.create(userId, 'face', {
      embedding,
      seenAt: observation.seenAt,
      sampleCount: observation.samples,
    });
    const thumbnail = await this.saveThumbnail(userId, created.id, observation.crop);
    await this.signatures.setThumbnail(userId, created.id, thumbnail);
    return { signatureId: created.id, relationshipId: null, distance: 0, created: true };
  }
}
