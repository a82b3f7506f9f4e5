import { z } from 'zod';

/**
 * A query parameter that may carry several values, comma-separated (`status=a,b`) or repeated
 * (`status=a&status=b`). Empty items are dropped; at most 30 values (Firestore's `in` limit).
 */
export function listParam<T extends z.ZodType<unknown, string>>(item: T) {
  return z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(item).min(1, 'At least one value is required').max(30, 'At most 30 values may be given'));
}

/** A boolean query parameter: true/false/1/0. */
export const booleanParam = z
  .enum(['true', 'false', '1', '0'], { message: 'Expected true or false' })
  .transform((v) => v === 'true' || v === '1');

/** A single-valued string query parameter (a repeated key is refused rather than silently merged). */
export const textParam = (max = 200) => z.string({ message: 'Expected a single value' }).trim().min(1).max(max);
