/** `items` in consecutive runs of at most `size` (the last may be shorter), e.g. ids for `in` filters or `getAll` calls. */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}
