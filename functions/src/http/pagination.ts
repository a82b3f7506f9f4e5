// The planned list wrapper and the paging that feeds it. A page costs reads in proportion to the
// page (page_size + 1 documents) plus one count aggregation for `total`, never the collection.
import { createHash } from 'node:crypto';
import { FieldPath, Timestamp, type DocumentSnapshot, type Query } from 'firebase-admin/firestore';
import { z } from 'zod';
import { step } from '../lib/timing.js';
import { validationError } from './errors.js';

export const MAX_PAGE_SIZE = 100;
/** Offsets are billed as reads; deeper than this, clients must follow next_page_token. */
export const MAX_OFFSET = 10_000;

export const paginationQuery = {
  page: z.coerce.number({ message: 'page must be a number' }).int('page must be a whole number').min(1, 'page starts at 1').default(1)
    .describe('Page number, from 1'),
  page_size: z.coerce.number({ message: 'page_size must be a number' }).int('page_size must be a whole number').min(1).max(MAX_PAGE_SIZE, `page_size is at most ${MAX_PAGE_SIZE}`).default(50)
    .describe(`Items per page (default 50, max ${MAX_PAGE_SIZE})`),
  page_token: z.string().min(1).max(2000).optional().describe('Cursor from a previous page\'s next_page_token; takes precedence over page'),
};

export interface PageParams {
  page: number;
  page_size: number;
  page_token?: string | undefined;
}

export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    total: z.number().int(),
    page: z.number().int(),
    page_size: z.number().int(),
    total_pages: z.number().int(),
    next_page_token: z.string().nullable(),
  });

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  page_size: number;
  total_pages: number;
  next_page_token: string | null;
}

/** The page a caller who can read nothing gets, without asking Firestore. */
export function emptyPage<T>(params: Pick<PageParams, 'page' | 'page_size'>): Page<T> {
  return { items: [], total: 0, page: params.page, page_size: params.page_size, total_pages: 0, next_page_token: null };
}

interface TokenBody {
  p: number; // page number the token leads to
  q: string; // fingerprint of the query it belongs to
  v: unknown[]; // order-by values of the last item, then its document id
}

/**
 * Runs one page of `query`. `orderBy` must list the fields the query is ordered by (the document
 * id is appended as a tie-breaker so cursors are exact); `fingerprint` identifies the filters so a
 * token cannot be replayed against another query. `alongside`: the caller's permission check,
 * already started: the page and the count run while it does, and its refusal wins over anything
 * else (a non-member hears 404 whatever the query).
 */
export async function paginate<T>(
  query: Query,
  params: PageParams,
  options: { orderBy: { field: string; direction: 'asc' | 'desc' }[]; fingerprint: unknown; map: (snap: DocumentSnapshot) => T; alongside?: Promise<unknown> },
): Promise<Page<T>> {
  const alongside = options.alongside ?? Promise.resolve();
  let planned: { pageQuery: Query; page: number; fingerprint: string };
  try {
    planned = await step('cursor', () => pageQueryOf(query, params, options.orderBy, options.fingerprint));
  } catch (err) {
    await alongside;
    throw err;
  }
  const { pageQuery, page, fingerprint } = planned;
  const [, countSnap, pageSnap] = await Promise.all([
    alongside,
    step('count', () => query.count().get()),
    step('page', () => pageQuery.limit(params.page_size + 1).get()),
  ]);
  const total = countSnap.data().count;
  const docs = pageSnap.docs.slice(0, params.page_size);
  const last = docs.at(-1);
  const next_page_token =
    pageSnap.docs.length > params.page_size && last
      ? encodeToken({ p: page + 1, q: fingerprint, v: [...options.orderBy.map((o) => last.get(o.field) ?? null), last.id] })
      : null;
  return {
    items: await step('map', () => docs.map(options.map)),
    total,
    page,
    page_size: params.page_size,
    total_pages: Math.ceil(total / params.page_size),
    next_page_token,
  };
}

/** The ordered query of the page asked for: after the token's cursor, or at the page's offset. */
function pageQueryOf(query: Query, params: PageParams, orderBy: { field: string; direction: 'asc' | 'desc' }[], filters: unknown) {
  const fingerprint = queryFingerprint(filters);
  let ordered = query;
  for (const o of orderBy) ordered = ordered.orderBy(o.field, o.direction);
  const lastDirection = orderBy.at(-1)?.direction ?? 'asc';
  ordered = ordered.orderBy(FieldPath.documentId(), lastDirection);

  let page = params.page;
  let pageQuery = ordered;
  if (params.page_token) {
    const token = decodeToken(params.page_token, fingerprint, orderBy.length);
    page = token.p;
    // The values are the client's to forge: whatever the SDK refuses as a cursor is a malformed token.
    try {
      pageQuery = pageQuery.startAfter(...token.v.map((x) => (x && typeof x === 'object' && '$ts' in x ? new Timestamp(x.$ts[0], x.$ts[1]) : x)));
    } catch {
      throw MALFORMED;
    }
  } else {
    const offset = (page - 1) * params.page_size;
    if (offset > MAX_OFFSET) throw validationError(`page is too deep for offset paging (more than ${MAX_OFFSET} items skipped); follow next_page_token instead`);
    if (offset > 0) pageQuery = pageQuery.offset(offset);
  }
  return { pageQuery, page, fingerprint };
}

/** A short hash of what identifies a query (its filters and sort), bound into its page tokens. */
export function queryFingerprint(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 16);
}

/** Seals a page token: JSON in base64url carrying the query fingerprint under `q`. */
export function encodePageToken(body: { q: string } & Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** Opens a page token of the given shape, refusing malformed ones and ones from another query (400). */
export function decodePageToken<S extends z.ZodType<{ q: string }>>(raw: string, shape: S, fingerprint: string): z.output<S> {
  let parsed: z.output<S>;
  try {
    parsed = shape.parse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
  } catch {
    throw MALFORMED;
  }
  if (parsed.q !== fingerprint) throw MISMATCH;
  return parsed;
}

const MALFORMED = validationError('page_token is not a valid page token', { field: 'page_token', issue: 'malformed' });
const MISMATCH = validationError('page_token belongs to a different query (filters or sort changed)', { field: 'page_token', issue: 'mismatch' });

function encodeToken(body: TokenBody): string {
  return encodePageToken({ ...body, v: body.v.map((v) => (v instanceof Timestamp ? { $ts: [v.seconds, v.nanoseconds] } : v)) });
}

const tokenShape = z.object({
  p: z.number().int().min(1),
  q: z.string(),
  v: z.array(z.union([z.string(), z.number(), z.boolean(), z.null(), z.object({ $ts: z.tuple([z.number().int(), z.number().int()]) })])),
});

function decodeToken(raw: string, fingerprint: string, orderFields: number): z.output<typeof tokenShape> {
  const parsed = decodePageToken(raw, tokenShape, fingerprint);
  if (parsed.v.length !== orderFields + 1 || typeof parsed.v.at(-1) !== 'string') throw MISMATCH;
  return parsed;
}
