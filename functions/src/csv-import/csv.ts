// Reading a shot list saved from a spreadsheet as CSV, streaming: bytes → UTF-8 text → records.
// Whatever makes the file unusable as a whole (not text, not UTF-8, empty, header without the
// required columns, broken quoting) is a 400 naming the problem, raised before any row is used.
import { Readable, pipeline } from 'node:stream';
import { validationError } from '../http/errors.js';

/** The task fields a column may fill. */
export const IMPORT_FIELDS = [
  'episode',
  'sequence',
  'shot',
  'task',
  'artist',
  'status',
  'priority',
  'milestone',
  'frame_start',
  'frame_end',
  'deadline',
  'estimated_hours',
  'description',
  'depends_on',
] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number];

export const REQUIRED_FIELDS: readonly ImportField[] = ['episode', 'sequence', 'shot', 'task'];

/** What the user calls each field (messages speak the spreadsheet's language). */
export const FIELD_LABELS: Record<ImportField, string> = {
  episode: 'Episode',
  sequence: 'Sequence',
  shot: 'Shot',
  task: 'Task',
  artist: 'Artist',
  status: 'Status',
  priority: 'Priority',
  milestone: 'Milestone',
  frame_start: 'Frame In',
  frame_end: 'Frame Out',
  deadline: 'Deadline',
  estimated_hours: 'Estimated Hours',
  description: 'Description',
  depends_on: 'Depends On',
};

/** Header names as studios write them, compared without case, spaces or punctuation. */
const ALIASES: Record<ImportField, string[]> = {
  episode: ['episode', 'ep', 'epi'],
  sequence: ['sequence', 'seq', 'sq'],
  shot: ['shot', 'sh', 'shotname', 'shotcode'],
  task: ['task', 'tasktype', 'taskname', 'department', 'dept'],
  artist: ['artist', 'assignee', 'assignedto', 'assigned'],
  status: ['status', 'taskstatus'],
  priority: ['priority'],
  milestone: ['milestone'],
  frame_start: ['framein', 'start', 'framestart', 'startframe', 'firstframe', 'in', 'cutin', 'framerangestart'],
  frame_end: ['frameout', 'end', 'frameend', 'endframe', 'lastframe', 'out', 'cutout', 'framerangeend'],
  deadline: ['deadline', 'duedate', 'due'],
  estimated_hours: ['estimatedhours', 'estimate', 'estimatedduration', 'estimateddurationhours', 'esthours', 'hours', 'bidhours', 'bid'],
  description: ['description', 'notes', 'note', 'comment', 'comments'],
  depends_on: ['dependson', 'dependencies', 'depends', 'waitsfor', 'upstream'],
};

const BY_ALIAS = new Map<string, ImportField>(IMPORT_FIELDS.flatMap((field) => ALIASES[field].map((alias) => [alias, field] as const)));

export const headerKey = (name: string) => name.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');

export type Delimiter = ',' | ';' | '\t';

export interface CsvHeader {
  delimiter: Delimiter;
  /** The header cells as written. */
  columns: string[];
  /** The field each column fills, by position (undefined: unknown or blank column). */
  fields: (ImportField | undefined)[];
  /** Named columns that fill no field, each reported once. */
  unknownColumns: string[];
}

export interface CsvRow {
  /** The spreadsheet row number: the header is row 1, blank rows count. */
  row: number;
  /** Trimmed cell values of the known columns that are not blank. */
  values: Partial<Record<ImportField, string>>;
  /** More non-blank cells than the header has columns. */
  extraCells: number;
}

export interface CsvLimits {
  /** Largest record in characters; a record this long is almost always an unclosed quote. */
  maxRecordChars: number;
}

export const DEFAULT_CSV_LIMITS: CsvLimits = { maxRecordChars: 128 * 1024 };

const fileError = (issue: string, message: string) => validationError(message, { field: 'file', issue });

/** Maps header cells to fields, refusing a header that lacks a required field or names one twice. */
export function matchHeader(columns: string[], delimiter: Delimiter): CsvHeader {
  const fields: (ImportField | undefined)[] = [];
  const unknownColumns: string[] = [];
  const seen = new Map<ImportField, string>();
  for (const column of columns) {
    const name = column.trim();
    const field = BY_ALIAS.get(headerKey(name));
    fields.push(field);
    if (!field) {
      if (name) unknownColumns.push(name);
      continue;
    }
    const earlier = seen.get(field);
    if (earlier !== undefined) {
      throw fileError('duplicate_column', `Columns '${earlier}' and '${name}' both give ${FIELD_LABELS[field]}; keep one of them`);
    }
    seen.set(field, name);
  }
  const missing = REQUIRED_FIELDS.filter((f) => !seen.has(f));
  if (missing.length > 0) {
    const found = columns.map((c) => c.trim()).filter(Boolean);
    throw fileError(
      'missing_columns',
      `Missing required column(s): ${missing.map((f) => FIELD_LABELS[f]).join(', ')}. ` +
        `Found: ${found.length ? found.join(', ') : 'none'}. The header row needs Episode, Sequence, Shot and Task`,
    );
  }
  return { delimiter, columns, fields, unknownColumns };
}

/**
 * The delimiter of the header line: whichever of comma, semicolon (spreadsheets in locales with a
 * decimal comma) or tab occurs most outside quotes; comma on a tie.
 */
export function detectDelimiter(headerLine: string): Delimiter {
  const counts: Record<Delimiter, number> = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === ',' || ch === ';' || ch === '\t')) counts[ch]++;
  }
  return (Object.keys(counts) as Delimiter[]).reduce((best, d) => (counts[d] > counts[best] ? d : best), ',');
}

/** Index just past the first line break outside quotes, or -1 while the header line is incomplete. */
function headerLineEnd(text: string): number {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) return i;
  }
  return -1;
}

const ZIP_MAGIC = Buffer.from('PK\u0003\u0004', 'latin1');

/**
 * Bytes → UTF-8 text, refusing what is not a text CSV: a workbook, a binary file, UTF-16, or bytes
 * that are not UTF-8 (Excel's legacy "CSV (Comma delimited)" is Windows-1252). A UTF-8 BOM is dropped.
 */
async function* utf8Text(source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let offset = 0;
  let lines = 1;
  let pending: Buffer = Buffer.alloc(0);
  for await (const piece of source) {
    const bytes = typeof piece === 'string' ? Buffer.from(piece) : piece;
    if (offset === 0 && bytes.length >= 2) {
      if (bytes.subarray(0, 4).equals(ZIP_MAGIC)) {
        throw fileError('not_csv', 'The file is a workbook (.xlsx or another zip archive), not CSV: save it from the spreadsheet as "CSV UTF-8"');
      }
      if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
        throw fileError('not_utf8', 'The file is UTF-16 text: save it as "CSV UTF-8"');
      }
    }
    const nul = bytes.indexOf(0);
    if (nul >= 0) throw fileError('not_csv', `The file is not CSV text: it holds binary data (a NUL byte at byte ${offset + nul + 1})`);
    let text: string;
    try {
      text = decoder.decode(bytes, { stream: true });
    } catch {
      throw notUtf8(Buffer.concat([pending, bytes]), lines);
    }
    pending = incompleteTail(bytes);
    offset += bytes.length;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
    if (text) yield text;
  }
  let tail: string;
  try {
    tail = decoder.decode();
  } catch {
    throw notUtf8(pending, lines);
  }
  if (tail) yield tail;
}

/** The start of a character a piece ends in the middle of (the decoder holds it for the next piece). */
function incompleteTail(bytes: Buffer): Buffer {
  for (let i = bytes.length - 1; i >= Math.max(0, bytes.length - 3); i--) {
    const b = bytes[i]!;
    if ((b & 0xc0) === 0x80) continue;
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return bytes.length - i < length ? bytes.subarray(i) : Buffer.alloc(0);
  }
  return Buffer.alloc(0);
}

/** Names the line of the first byte that is not UTF-8; `bytes` start at a character boundary on `line`. */
function notUtf8(bytes: Buffer, line: number) {
  const text = new TextDecoder('utf-8').decode(bytes);
  const bad = text.indexOf('\uFFFD');
  const at = bad < 0 ? line : line + (text.slice(0, bad).match(/\n/g)?.length ?? 0);
  return fileError('not_utf8', `The file is not UTF-8 text (line ${at} holds a byte that is not UTF-8): save it as "CSV UTF-8"`);
}

/** csv-parse's syntax errors, in words a spreadsheet user can act on; `row` is the record being read. */
function syntaxError(err: { code?: string; message?: string }, limits: CsvLimits, row: number) {
  const line = ` (row ${row})`;
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return fileError('bad_quotes', `A quoted cell is never closed${line}: the file is not valid CSV`);
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'INVALID_OPENING_QUOTE':
      return fileError('bad_quotes', `A quote character is misplaced${line}: cells holding quotes must be quoted, with inner quotes doubled`);
    case 'CSV_MAX_RECORD_SIZE':
      return fileError('row_too_large', `A row is longer than ${limits.maxRecordChars} characters${line}: usually a quote that is never closed`);
    default:
      return fileError('not_csv', `The file is not valid CSV${line}: ${err.message ?? 'could not parse'}`);
  }
}

export interface OpenedCsv {
  header: CsvHeader;
  rows: AsyncGenerator<CsvRow>;
  /** Stops reading (when the rows are not wanted: a generator never started cannot clean up). */
  close: () => void;
}

/**
 * Opens a CSV byte stream: reads up to the end of the header row, detects the delimiter, matches
 * the header (throwing the file-level 400s), and returns the data rows as a lazy stream. The source
 * is pulled only as fast as rows are consumed, so memory stays flat whatever the file size.
 */
export async function openCsv(source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, limits: CsvLimits = DEFAULT_CSV_LIMITS): Promise<OpenedCsv> {
  const text = utf8Text(source);
  let head = '';
  let end = -1;
  while (end < 0) {
    const next = await text.next();
    if (next.done) break;
    head += next.value;
    end = headerLineEnd(head);
    if (end < 0 && head.length > limits.maxRecordChars) throw syntaxError({ code: 'CSV_MAX_RECORD_SIZE' }, limits, 1);
  }
  if (head.trim() === '') throw fileError('empty', 'The file is empty: it needs a header row (Episode, Sequence, Shot, Task, ...) and one row per task');

  const delimiter = detectDelimiter(end < 0 ? head : head.slice(0, end));
  const { parse, CsvError } = await import('csv-parse');
  const parser = parse({ delimiter, relax_column_count: true, max_record_size: limits.maxRecordChars });
  async function* rest() {
    yield head;
    yield* text;
  }
  pipeline(Readable.from(rest(), { objectMode: false }), parser, () => undefined);
  const records = parser[Symbol.asyncIterator]() as AsyncIterator<string[]>;

  let row = 0;
  const nextRecord = async () => {
    try {
      const next = await records.next();
      row++;
      return next;
    } catch (err) {
      // Our own refusals and read failures of the source pass through; only parse errors are the file's fault.
      // csv-parse counts the records it completed (blank ones too), so the bad one is the next row.
      if (err instanceof CsvError) throw syntaxError(err, limits, typeof err.records === 'number' ? err.records + 1 : row + 1);
      throw err;
    }
  };

  const first = await nextRecord();
  if (first.done) throw fileError('empty', 'The file is empty');
  const header = matchHeader(first.value, delimiter);

  async function* rows(): AsyncGenerator<CsvRow> {
    try {
      for (;;) {
        const next = await nextRecord();
        if (next.done) return;
        const cells = next.value;
        const values: CsvRow['values'] = {};
        let extraCells = 0;
        let blank = true;
        for (let i = 0; i < cells.length; i++) {
          const value = (cells[i] ?? '').trim();
          if (!value) continue;
          blank = false;
          const field = header.fields[i];
          if (i >= header.fields.length) extraCells++;
          else if (field) values[field] = value;
        }
        if (!blank) yield { row, values, extraCells };
      }
    } finally {
      parser.destroy();
    }
  }
  return { header, rows: rows(), close: () => parser.destroy() };
}
