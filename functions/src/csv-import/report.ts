// The import report as it grows chunk by chunk: counters, and lists bounded by `maxListed` so a
// job document stays under Firestore's 1 MiB whatever the file.
import type { SegmentKind } from '../tasks/naming.js';
import { SEGMENT_KINDS, type NamingStyle, type StyleSource } from './padding.js';
import type { PlannedRow, RejectedRow } from './planner.js';
import { describeProblems } from './rows.js';
import type { ExistingMode, ImportReport } from './schemas.js';

const PREVIEW_LIMIT = 50;

export class ReportTally {
  readonly report: ImportReport;

  constructor(
    start: { total: number; validateOnly: boolean; existing: ExistingMode; unknownColumns: string[]; style: NamingStyle; sources: Partial<Record<SegmentKind, StyleSource>> },
    private readonly maxListed: number,
  ) {
    this.report = {
      total_rows: start.total,
      processed_rows: 0,
      valid_tasks: 0,
      invalid_tasks: 0,
      created_tasks: 0,
      updated_tasks: 0,
      skipped_tasks: 0,
      validate_only: start.validateOnly,
      existing: start.existing,
      actions: { create: 0, update: 0, skip: 0 },
      errors: [],
      errors_truncated: false,
      warnings: [],
      unknown_columns: start.unknownColumns,
      naming: Object.fromEntries(SEGMENT_KINDS.map((k) => [k, start.style[k] ? { ...start.style[k], source: start.sources[k]! } : null])) as ImportReport['naming'],
      preview: [],
      written_rows: [],
      written_rows_truncated: false,
    };
  }

  reject({ row, problems }: RejectedRow): void {
    this.report.invalid_tasks++;
    if (this.report.errors.length < this.maxListed) this.report.errors.push({ row, error: describeProblems(problems), problems });
    else this.report.errors_truncated = true;
  }

  warn(warning: { row: number; warning: string }): void {
    if (this.report.warnings.length < this.maxListed) this.report.warnings.push(warning);
  }

  /** What the import does (or would do) with each valid row; the first ones are previewed. */
  planned(planned: readonly PlannedRow[]): void {
    for (const p of planned) {
      this.report.actions[p.action]++;
      if (this.report.preview.length < PREVIEW_LIMIT) {
        const { id, episode, sequence, shot, task } = p.task;
        this.report.preview.push({ row: p.row.row, id, episode, sequence, shot, task, action: p.action, changes: Object.keys(p.changes) });
      }
    }
  }

  skipped(count: number): void {
    this.report.skipped_tasks += count;
  }

  /** A row's task was created or changed: kept as ranges of consecutive rows. */
  written(p: PlannedRow): void {
    if (p.action === 'create') this.report.created_tasks++;
    else this.report.updated_tasks++;
    const row = p.row.row;
    const last = this.report.written_rows.at(-1);
    if (last && last.to === row - 1) last.to = row;
    else if (this.report.written_rows.length < this.maxListed) this.report.written_rows.push({ from: row, to: row });
    else this.report.written_rows_truncated = true;
  }

  /** Orders `written_rows` and joins adjacent ranges (rows written out of file order: deferred ones). */
  sortWritten(): void {
    const ranges = [...this.report.written_rows].sort((a, b) => a.from - b.from);
    const joined: { from: number; to: number }[] = [];
    for (const r of ranges) {
      const last = joined.at(-1);
      if (last && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
      else joined.push({ ...r });
    }
    this.report.written_rows = joined;
  }

  processed(rows: number): void {
    this.report.processed_rows += rows;
    this.report.valid_tasks = this.report.processed_rows - this.report.invalid_tasks;
  }
}
