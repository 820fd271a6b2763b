import sharp, { type Metadata } from 'sharp';

/** Photos Rapport accepts (what phones and browsers produce). */
export const IMAGE_FORMATS = ['jpeg', 'png', 'webp'] as const;

export type ImageErrorReason = 'not_image' | 'unsupported_format' | 'too_many_pixels';

/** An upload that is not a photo Rapport can read; the message is meant for the user. */
export class ImageError extends Error {
  override name = 'ImageError';
  constructor(
    readonly reason: ImageErrorReason,
    message: string,
  ) {
    super(message);
  }
}

export type DecodedImage = {
  /** Packed RGB, EXIF orientation applied, downscaled to at most `maxSide`. */
  width: number;
  height: number;
  rgb: Uint8Array;
  /** Size of the upright original, before downscaling. */
  originalWidth: number;
  originalHeight: number;
  /** original pixels per decoded pixel (≥ 1). */
  scale: number;
};

export type DecodeOptions = {
  /** Images with more pixels than this are refused before decoding (decompression bombs). */
  maxPixels: number;
  /** Longest side after decoding; larger photos are downscaled (detection does not need more). */
  maxSide: number;
};

const NOT_AN_IMAGE =
  'Upload a valid image. The file you uploaded was either not an image or a corrupted image.';

/**
 * Decodes a JPEG, PNG or WebP photo to RGB. The header is read first, so a 20000×20000 PNG is
 * refused from its size alone (and libvips's own `limitInputPixels` backs that up); truncated or
 * corrupt data fails instead of decoding to grey.
 */
export async function decodeImage(input: Buffer, options: DecodeOptions): Promise<DecodedImage> {
  let metadata: Metadata;
  try {
    metadata = await sharp(input, { limitInputPixels: false }).metadata();
  } catch {
    throw new ImageError('not_image', NOT_AN_IMAGE);
  }
  const format = metadata.format as string | undefined;
  if (!format || !(IMAGE_FORMATS as readonly string[]).includes(format)) {
    throw new ImageError(
      'unsupported_format',
      `Unsupported image format${format ? ` (${format})` : ''}: upload a JPEG, PNG or WebP photo.`,
    );
  }
  const { width = 0, height = 0 } = metadata;
  if (width * height > options.maxPixels) {
    throw new ImageError(
      'too_many_pixels',
      `The image is too large (${width}×${height} pixels); at most ${options.maxPixels.toLocaleString('en')} pixels are accepted.`,
    );
  }
  try {
    const { data, info } = await sharp(input, { limitInputPixels: options.maxPixels, failOn: 'truncated' })
      .rotate()
      .removeAlpha()
      .resize({
        width: options.maxSide,
        height: options.maxSide,
        fit: 'inside',
        withoutEnlargement: true,
      })
      .raw()
      .toBuffer({ resolveWithObject: true });
    // EXIF orientations 5–8 swap the sides.
    const swapped = (metadata.orientation ?? 1) >= 5;
    const originalWidth = swapped ? height : width;
    const originalHeight = swapped ? width : height;
    return {
      width: info.width,
      height: info.height,
      rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      originalWidth,
      originalHeight,
      scale: originalWidth / info.width,
    };
  } catch {
    throw new ImageError('not_image', NOT_AN_IMAGE);
  }
}

/** A JPEG of packed RGB pixels (thumbnails). */
export async function encodeJpeg(image: { width: number; height: number; rgb: Uint8Array }): Promise<Buffer> {
  return sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}
