// Thumbnails of an image: its facts (size, format, color space, alpha, depth) and a 512 px and a
// 128 px rendition, made with sharp under a pixel limit against decompression bombs.
import { THUMBNAIL_SETTINGS, type ThumbnailSettings } from './settings.js';

/** A file the thumbnailer cannot or will not process, with the reason users see. */
export class ThumbnailError extends Error {
  constructor(
    readonly status: 'unsupported' | 'failed',
    message: string,
    readonly known: Partial<ImageFacts> = {},
  ) {
    super(message);
  }
}

export interface ImageFacts {
  width: number;
  height: number;
  format: string;
  color_space: string;
  has_alpha: boolean;
  bit_depth: number;
}

export interface Thumbnails {
  facts: ImageFacts;
  extension: '.jpg' | '.webp';
  contentType: string;
  large: Buffer;
  small: Buffer;
}

const BIT_DEPTH: Record<string, number> = { uchar: 8, char: 8, ushort: 16, short: 16, uint: 32, int: 32, float: 32, complex: 64, double: 64, dpcomplex: 128 };

/**
 * Reads an image and makes both thumbnails: one decode for the large one (JPEG shrink-on-load makes
 * that cheap), the small one from the large. Images with alpha keep it (WebP); others become JPEG.
 */
export async function makeThumbnails(input: Buffer, settings: ThumbnailSettings = THUMBNAIL_SETTINGS): Promise<Thumbnails> {
  const { default: sharp } = await import('sharp');
  const options = { limitInputPixels: settings.maxInputPixels, failOn: 'error' as const };
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    // The header alone, without the pixel limit, so an oversized image is reported with its size.
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new ThumbnailError('failed', `Not a readable image: ${describe(err)}`);
  }
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  const facts: ImageFacts = {
    width,
    height,
    format: meta.format,
    color_space: meta.space ?? 'unknown',
    has_alpha: meta.hasAlpha ?? false,
    bit_depth: meta.bitsPerSample ?? BIT_DEPTH[meta.depth ?? ''] ?? 8,
  };
  // Refused from the header alone, before any pixel is decoded.
  if (width * height > settings.maxInputPixels) {
    const mp = (n: number) => `${Math.round(n / 1e6)} MP`;
    throw new ThumbnailError('failed', `Image is ${width}x${height} (${mp(width * height)}), above the ${mp(settings.maxInputPixels)} limit for thumbnails`, facts);
  }
  const alpha = facts.has_alpha;
  const encode = (image: ReturnType<typeof sharp>) =>
    alpha ? image.webp({ quality: settings.webpQuality, alphaQuality: 90 }) : image.jpeg({ quality: settings.jpegQuality });
  try {
    const large = await encode(
      sharp(input, options).autoOrient().resize(settings.largeEdge, settings.largeEdge, { fit: 'inside', withoutEnlargement: true }).toColourspace('srgb'),
    ).toBuffer();
    const small = await encode(sharp(large).resize(settings.smallEdge, settings.smallEdge, { fit: 'inside', withoutEnlargement: true })).toBuffer();
    return { facts, extension: alpha ? '.webp' : '.jpg', contentType: alpha ? 'image/webp' : 'image/jpeg', large, small };
  } catch (err) {
    throw new ThumbnailError('failed', `Could not decode the image: ${describe(err)}`, facts);
  }
}

function describe(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
}

