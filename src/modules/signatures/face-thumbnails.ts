import { Readable } from 'node:stream';
import { encodeJpeg } from '../../infra/media/image.js';
import type { Storage } from '../../infra/storage/index.js';
import type { RgbImage } from '../../pipeline/engines/face/face-engine.js';

export const faceThumbnailKey = (userId: number, signatureId: number) => `faces/${userId}/${signatureId}.jpg`;

/** Stores a face crop as the signature's JPEG thumbnail and returns its storage key. */
export async function saveFaceThumbnail(
  storage: Storage,
  userId: number,
  signatureId: number,
  crop: RgbImage,
): Promise<string> {
  const key = faceThumbnailKey(userId, signatureId);
  await storage.put(key, Readable.from([await encodeJpeg(crop)]));
  return key;
}
