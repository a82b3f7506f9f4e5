import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/http/errors.js';
import { openCsv, type CsvRow } from '../../src/csv-import/csv.js';

async function read(input: string | Buffer | Buffer[]) {
  const source = Array.isArray(input) ? input : [typeof input === 'string' ? Buffer.from(input) : input];
  const { header, rows } = await openCsv(source);
  const out: CsvRow[] = [];
  for await (const row of rows) out.push(row);
  return { header, rows: out };
}

async function refusal(input: string | Buffer): Promise<{ message: string; issue: string }> {
  try {
    await read(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect(e.status).toBe(400);
    return { message: e.message, issue: (e.details as { issue: string }).issue };
  }
  throw new Error('expected the file to be refused');
}

describe('CSV reading', () => {
  it('matches headers without case, spaces or punctuation, through the common aliases', async () => {
    const { header, rows } = await read('EP, Seq ,SHOT,Task Type,Assigned To,Frame In,frame_out,Estimated Hours,Due Date,Notes\nEp01,sq010,sh020,comp,ana,1001,1100,8,2025-10-01,roto\n');
    expect(header.fields).toEqual(['episode', 'sequence', 'shot', 'task', 'artist', 'frame_start', 'frame_end', 'estimated_hours', 'deadline', 'description']);
    expect(header.unknownColumns).toEqual([]);
    expect(rows).toEqual([
      {
        row: 2,
        extraCells: 0,
        values: { episode: 'Ep01', sequence: 'sq010', shot: 'sh020', task: 'comp', artist: 'ana', frame_start: '1001', frame_end: '1100', estimated_hours: '8', deadline: '2025-10-01', description: 'roto' },
      },
    ]);
  });

  it('reports unknown columns once and ignores blank header cells', async () => {
    const { header, rows } = await read('Episode,Sequence,Shot,Task,Vendor,,Camera\nep01,sq010,sh020,comp,ILM,,A\nep01,sq010,sh030,comp,ILM,,B\n');
    expect(header.unknownColumns).toEqual(['Vendor', 'Camera']);
    expect(rows.map((r) => r.values)).toEqual([
      { episode: 'ep01', sequence: 'sq010', shot: 'sh020', task: 'comp' },
      { episode: 'ep01', sequence: 'sq010', shot: 'sh030', task: 'comp' },
    ]);
  });

  it('reads UTF-8 with a BOM, CRLF line ends, semicolons and quoted cells holding newlines', async () => {
    const text = '\uFEFFEpisode;Sequence;Shot;Task;Description\r\nep01;sq010;sh020;comp;"two\r\nlines; and a ""quote"""\r\nép02;sq010;sh030;fx;plain\r\n';
    const { header, rows } = await read(Buffer.from(text, 'utf8'));
    expect(header.delimiter).toBe(';');
    expect(header.columns[0]).toBe('Episode');
    expect(rows.map((r) => [r.row, r.values.episode, r.values.description])).toEqual([
      [2, 'ep01', 'two\r\nlines; and a "quote"'],
      [3, 'ép02', 'plain'],
    ]);
  });

  it('decodes characters split across chunks and tab-separated files', async () => {
    const bytes = Buffer.from('Episode\tSequence\tShot\tTask\tArtist\nep01\tsq010\tsh020\tcomp\tJosé\n', 'utf8');
    const cut = bytes.indexOf(Buffer.from('é')) + 1;
    const { header, rows } = await read([bytes.subarray(0, 5), bytes.subarray(5, cut), bytes.subarray(cut)]);
    expect(header.delimiter).toBe('\t');
    expect(rows[0]?.values.artist).toBe('José');
  });

  it('counts blank rows in row numbers but does not return them, and counts cells beyond the header', async () => {
    const { rows } = await read('Episode,Sequence,Shot,Task\n\nep01,sq010,sh020,comp\n , , ,\nep01,sq010,sh030,comp,,extra\n');
    expect(rows.map((r) => [r.row, r.values.shot, r.extraCells])).toEqual([
      [3, 'sh020', 0],
      [5, 'sh030', 1],
    ]);
  });

  it('refuses an empty file, a BOM alone and blank lines', async () => {
    for (const input of ['', '\uFEFF', '\n\r\n  \n']) {
      expect(await refusal(input)).toEqual({
        issue: 'empty',
        message: 'The file is empty: it needs a header row (Episode, Sequence, Shot, Task, ...) and one row per task',
      });
    }
  });

  it('refuses a header without the required columns, naming them and what it found', async () => {
    expect(await refusal('Episode,Shot,Artist\nep01,sh010,ana\n')).toEqual({
      issue: 'missing_columns',
      message: 'Missing required column(s): Sequence, Task. Found: Episode, Shot, Artist. The header row needs Episode, Sequence, Shot and Task',
    });
  });

  it('refuses two columns giving the same field', async () => {
    expect(await refusal('Episode,Sequence,Shot,Task,Start,Frame In\n')).toEqual({
      issue: 'duplicate_column',
      message: "Columns 'Start' and 'Frame In' both give Frame In; keep one of them",
    });
  });

  it('refuses a workbook, binary data, UTF-16 and non-UTF-8 text', async () => {
    expect((await refusal(Buffer.from('PK\u0003\u0004\u0014\u0000\u0006\u0000', 'latin1'))).issue).toBe('not_csv');
    expect(await refusal(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]))).toEqual({
      issue: 'not_csv',
      message: 'The file is not CSV text: it holds binary data (a NUL byte at byte 9)',
    });
    expect((await refusal(Buffer.from('\uFEFFEpisode,Sequence', 'utf16le'))).message).toBe('The file is UTF-16 text: save it as "CSV UTF-8"');
    expect((await refusal(Buffer.from('Episode,Sequence,Shot,Task\nep01,sq010,sh020,comp,Jos\xe9\n', 'latin1'))).issue).toBe('not_utf8');
  });

  it('names the line of a byte that is not UTF-8, even pieces after a character split across pieces', async () => {
    const good = Buffer.from('Episode,Sequence,Shot,Task,Artist\nep01,sq010,sh020,comp,Zoë\n', 'utf8');
    const bad = Buffer.from('ep01,sq010,sh030,comp,Jos\xe9\n', 'latin1');
    const split = good.length - 2; // inside ë
    const err = await read([good.subarray(0, split), Buffer.concat([good.subarray(split), bad])]).then(
      () => undefined,
      (e: ApiError) => e,
    );
    expect(err?.message).toBe('The file is not UTF-8 text (line 3 holds a byte that is not UTF-8): save it as "CSV UTF-8"');
  });

  it('refuses broken quoting with the row it is on', async () => {
    expect(await refusal('Episode,Sequence,Shot,Task\nep01,sq010,sh020,"comp\nep01,sq010,sh030,comp\n')).toEqual({
      issue: 'bad_quotes',
      message: 'A quoted cell is never closed (row 2): the file is not valid CSV',
    });
    expect(await refusal('Episode,Sequence,Shot,Task\nep01,sq010,sh"020,comp\n')).toEqual({
      issue: 'bad_quotes',
      message: 'A quote character is misplaced (row 2): cells holding quotes must be quoted, with inner quotes doubled',
    });
  });

  it('refuses a row longer than the record limit instead of buffering it', async () => {
    const long = `Episode,Sequence,Shot,Task,Description\nep01,sq010,sh020,comp,ok\nep01,sq010,sh030,comp,"${'x'.repeat(200)}\n`;
    const err = await openCsv([Buffer.from(long)], { maxRecordChars: 100 }).then(async ({ rows }) => {
      for await (const _ of rows) void _;
    }).then(() => undefined, (e: ApiError) => e);
    expect(err?.message).toBe('A row is longer than 100 characters (row 3): usually a quote that is never closed');
  });
});
