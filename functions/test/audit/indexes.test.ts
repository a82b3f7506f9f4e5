import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUDIT_LOGS } from '../../src/lib/collections.js';
import { AUDIT_EQUALITY_FILTERS } from '../../src/audit/store.js';

interface IndexSpec {
  collectionGroup: string;
  queryScope: string;
  fields: { fieldPath: string; order?: string }[];
}

const { indexes, fieldOverrides } = JSON.parse(readFileSync(new URL('../../../firestore.indexes.json', import.meta.url), 'utf8')) as {
  indexes: IndexSpec[];
  fieldOverrides: { collectionGroup: string; fieldPath: string; indexes: { order?: string; queryScope: string }[] }[];
};

/** Every non-empty combination of the audit log's equality filters. */
function combinations<T>(items: readonly T[]): T[][] {
  return items.flatMap((item, i) => [[item], ...combinations(items.slice(i + 1)).map((rest) => [item, ...rest])]);
}

describe('firestore.indexes.json', () => {
  it('has an (equality filters…, time DESC) index for every combination of audit log filters', () => {
    const audit = indexes.filter((i) => i.collectionGroup === AUDIT_LOGS && i.queryScope === 'COLLECTION');
    const keys = new Set(audit.map((i) => JSON.stringify([i.fields.slice(0, -1).map((f) => f.fieldPath).sort(), i.fields.at(-1)])));
    const wanted = combinations(AUDIT_EQUALITY_FILTERS);
    expect(wanted).toHaveLength(15);
    for (const fields of wanted) expect(keys.has(JSON.stringify([[...fields].sort(), { fieldPath: 'time', order: 'DESCENDING' }])), fields.join(', ')).toBe(true);
  });

  it('indexes feed events by created_at for the cleanup (collection group) and for client listeners (both directions)', () => {
    const override = fieldOverrides.find((o) => o.collectionGroup === 'events' && o.fieldPath === 'created_at');
    expect(override?.indexes).toEqual(
      expect.arrayContaining([
        { order: 'ASCENDING', queryScope: 'COLLECTION_GROUP' },
        { order: 'ASCENDING', queryScope: 'COLLECTION' },
        { order: 'DESCENDING', queryScope: 'COLLECTION' },
      ]),
    );
  });
});
