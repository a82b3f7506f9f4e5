// Media settings that are engineering limits rather than deploy-time parameters, read from here
// only (the deploy-time ones, size and types, are MAX_FILE_SIZE and ALLOWED_FILE_TYPES in config/params.ts).

/**
 * Largest file `POST /media` accepts inline. Cloud Functions caps a request body at 32 MiB; one MiB
 * is left for the multipart framing and fields. Larger files use `POST /media/upload-url`.
 */
export const MAX_INLINE_FILE_BYTES = 31 * 1024 * 1024;

/** Lifetime of the signed URL behind `?redirect=true`. */
export const SIGNED_URL_SECONDS = 300;

/** A resumable upload session URI stays valid for a week (Cloud Storage's own rule). */
export const UPLOAD_SESSION_SECONDS = 7 * 24 * 3600;

/** Review notes kept per media record, newest last; older ones fall off so a document stays far below 1 MiB. */
export const MAX_APPROVAL_HISTORY = 100;

export interface ThumbnailSettings {
  /** Longest edge of the large and small thumbnails (fit inside, never enlarged). */
  largeEdge: number;
  smallEdge: number;
  jpegQuality: number;
  webpQuality: number;
  /** Decompression-bomb guard: images whose header claims more pixels are refused before decoding. */
  maxInputPixels: number;
  /** Files above this are not downloaded for thumbnails (their record says why). */
  maxInputBytes: number;
}

export const THUMBNAIL_SETTINGS: ThumbnailSettings = {
  largeEdge: 512,
  smallEdge: 128,
  jpegQuality: 82,
  webpQuality: 80,
  maxInputPixels: 150_000_000,
  maxInputBytes: 512 * 1024 * 1024,
};
