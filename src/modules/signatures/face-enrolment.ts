import { ApiError, badRequest, notFound } from '../../infra/http/errors.js';
import { type DecodedImage, decodeImage, ImageError } from '../../infra/media/image.js';
import type { Storage } from '../../infra/storage/index.js';
import type { DetectedFace, FaceEngine } from '../../pipeline/engines/face/index.js';
import type { RelationshipsRepository } from '../relationships/repository.js';
import { saveFaceThumbnail } from './face-thumbnails.js';
import type { SignatureRow, SignaturesRepository } from './repository.js';

export type FaceEnrolmentSettings = {
  enrolMinSizePx: number;
  enrolMinSharpness: number;
  imageMaxBytes: number;
  imageMaxPixels: number;
};

/** Photos are downscaled to this before detection: the detector works at 512 px anyway. */
const DETECTION_MAX_SIDE = 1280;

/**
 * Enrolment: one photo of a person refines their face signature. Used by
 * `POST /api/relationships/{id}/faces/` and by imports (a contact's photo); both get the same
 * 4xx errors (ApiError) for a photo that cannot be used.
 */
export class FaceEnrolmentService {
  constructor(
    private readonly signatures: SignaturesRepository,
    private readonly relationships: RelationshipsRepository,
    private readonly engine: FaceEngine,
    private readonly storage: Storage,
    private readonly settings: FaceEnrolmentSettings,
  ) {}

  get imageMaxBytes(): number {
    return this.settings.imageMaxBytes;
  }

  /** 404 unless the person is the user's (checked before anything is read). */
  async assertOwnsRelationship(userId: number, relationshipId: number): Promise<void> {
    const owned = await this.relationships.ownedIds(userId, [relationshipId]);
    if (!owned.has(relationshipId)) throw notFound();
  }

  /**
   * Finds the face (the only one, or `faceIndex` among several, most confident first), checks it is
   * big and sharp enough, embeds it and merges it into the person's face signature (a centroid
   * weighted by samples). Returns the person's signature.
   */
  async enrolFace(
    userId: number,
    relationshipId: number,
    image: Buffer,
    faceIndex?: number,
  ): Promise<SignatureRow> {
    await this.assertOwnsRelationship(userId, relationshipId);
    if (image.length > this.settings.imageMaxBytes) {
      throw new ApiError(413, { detail: `The image is larger than ${this.settings.imageMaxBytes} bytes.` });
    }
    let decoded: DecodedImage;
    try {
      decoded = await decodeImage(image, {
        maxPixels: this.settings.imageMaxPixels,
        maxSide: DETECTION_MAX_SIDE,
      });
    } catch (error) {
      if (error instanceof ImageError) throw badRequest({ image: [error.message] });
      throw error;
    }
    const faces = await this.engine.detect(decoded);
    const face = this.chooseFace(faces, decoded.scale, faceIndex);
    const widthPx = Math.round(face.box.width * decoded.scale);
    if (widthPx < this.settings.enrolMinSizePx) {
      throw badRequest({
        image: [
          `The face is too small (${widthPx} px wide): use a photo where it is at least ${this.settings.enrolMinSizePx} px wide.`,
        ],
      });
    }
    if (face.sharpness < this.settings.enrolMinSharpness) {
      throw badRequest({
        image: [
          `The face is too blurry (sharpness ${face.sharpness.toFixed(0)}, at least ${this.settings.enrolMinSharpness} needed): use a sharper photo.`,
        ],
      });
    }
    const [embedding] = await this.engine.embed([face.crop]);
    const previous = await this.signatures.idsOf(userId, 'face', relationshipId);
    const created = await this.signatures.create(userId, 'face', {
      embedding: Array.from(embedding!),
      relationshipId,
    });
    await this.signatures.setThumbnail(
      userId,
      created.id,
      await saveFaceThumbnail(this.storage, userId, created.id, face.crop),
    );
    if (previous.length === 0) return (await this.signatures.get(userId, 'face', created.id))!;
    const thumbnails = await this.signatures.storedFiles(userId, 'face', [created.id]);
    const survivor = await this.signatures.assign(userId, 'face', created.id, relationshipId);
    if (!survivor) throw notFound();
    // The person keeps their first thumbnail; this photo's is no longer referenced.
    for (const [id, key] of thumbnails)
      if (id !== survivor.id && key !== survivor.thumbnailPath) await this.storage.delete(key);
    return survivor;
  }

  private chooseFace(faces: DetectedFace[], scale: number, faceIndex: number | undefined): DetectedFace {
    if (faces.length === 0) throw badRequest({ image: ['No face found in the image.'] });
    // DRF-shaped like every 400 (lists of sentences), one line per face for the user to pick from.
    const choices = faces.map((face, index) => {
      const [x, y, width, height] = [face.box.x, face.box.y, face.box.width, face.box.height].map((v) =>
        Math.round(v * scale),
      );
      return `face_index ${index}: box x=${x} y=${y} width=${width} height=${height}, score ${face.score.toFixed(2)}`;
    });
    if (faceIndex !== undefined) {
      const face = faces[faceIndex];
      if (!face) {
        throw new ApiError(400, {
          face_index: [
            `There is no face ${faceIndex}: the image shows ${faces.length} face${faces.length === 1 ? '' : 's'} (face_index 0–${faces.length - 1}).`,
          ],
          faces: choices,
        });
      }
      return face;
    }
    if (faces.length > 1) {
      throw new ApiError(400, {
        image: [`The image shows ${faces.length} faces: choose one with face_index (listed in "faces").`],
        faces: choices,
      });
    }
    return faces[0]!;
  }
}
