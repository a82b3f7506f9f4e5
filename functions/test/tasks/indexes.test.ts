// Every query GET /tasks can issue must be servable by the composite indexes in
// firestore.indexes.json. The combinations come from the query planner itself.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TASKS } from '../../src/lib/collections.js';
import { DEPENDENCY_FILTERS, FILTER_FIELDS, planTaskQuery, type TaskFilters, type TaskQueryPlan } from '../../src/tasks/store.js';
import { SORT_FIELDS } from '../../src/tasks/schemas.js';

interface IndexField {
  fieldPath: string;
  order?: 'ASCENDING' | 'DESCENDING';
  arrayConfig?: 'CONTAINS';
}
const file = JSON.parse(readFileSync(new URL('../../../firestore.indexes.json', import.meta.url), 'utf8')) as {
  indexes: { collectionGroup: string; queryScope: string; fields: IndexField[] }[];
};
const taskIndexes = file.indexes.filter((i) => i.collectionGroup === TASKS && i.queryScope === 'COLLECTION');

/**
 * Firestore serves equality/`in`/`array-contains` filters plus one order-by by merging composite
 * indexes that each start with one filtered field and end with the order-by field (same direction).
 * A query with no filter needs only the automatic single-field index.
 */
function covered(plan: TaskQueryPlan): string[] {
  const [sort] = plan.orderBy;
  const order = sort!.direction === 'asc' ? 'ASCENDING' : 'DESCENDING';
  return plan.where
    .filter((w) => {
      const first = w.op === 'array-contains' ? { fieldPath: w.field, arrayConfig: 'CONTAINS' } : { fieldPath: w.field, order: 'ASCENDING' };
      return !taskIndexes.some(
        (i) => i.fields.length === 2 && JSON.stringify(i.fields[0]) === JSON.stringify(first) && i.fields[1]!.fieldPath === sort!.field && i.fields[1]!.order === order,
      );
    })
    .map((w) => `${w.field} ${w.op} + orderBy ${sort!.field} ${sort!.direction}`);
}

/** Every filter/sort combination the list endpoint accepts (each filter with one and with two values). */
function* allPlans(): Generator<TaskQueryPlan> {
  const names = Object.keys(FILTER_FIELDS) as (keyof typeof FILTER_FIELDS)[];
  for (let mask = 0; mask < 1 << names.length; mask++) {
    for (const values of [['a'], ['a', 'b']]) {
      for (const search of [undefined, 'hero']) {
        for (const flag of [undefined, ...DEPENDENCY_FILTERS]) {
          for (const include_archived of [false, true]) {
            for (const sort of SORT_FIELDS) {
              for (const order of ['asc', 'desc'] as const) {
                const filters: TaskFilters = { include_archived, sort, order, search, ...(flag ? { [flag]: true } : {}) };
                names.forEach((n, bit) => {
                  if (mask & (1 << bit)) (filters as unknown as Record<string, unknown>)[n] = n === 'status' ? values.map((_, k) => ['in_progress', 'approved'][k]) : values;
                });
                try {
                  yield planTaskQuery(filters);
                } catch {
                  // more than 30 disjunctions: refused with 400, never sent to Firestore
                }
              }
            }
          }
        }
      }
    }
  }
}

describe('firestore.indexes.json covers the task list queries', () => {
  it('has an index for every filter/sort combination the planner produces', () => {
    const missing = new Set<string>();
    let plans = 0;
    for (const plan of allPlans()) {
      plans++;
      for (const m of covered(plan)) missing.add(m);
    }
    expect(plans).toBeGreaterThan(24000);
    expect([...missing].sort()).toEqual([]);
  });

  it("has the index of a task's dependents within its project (project_id ==, depends_on array-contains)", () => {
    const fields = [{ fieldPath: 'project_id', order: 'ASCENDING' }, { fieldPath: 'depends_on', arrayConfig: 'CONTAINS' }];
    expect(taskIndexes.some((i) => JSON.stringify(i.fields) === JSON.stringify(fields))).toBe(true);
  });

  it('plans equality and in filters on the stored keys, archived hiding, and one array-contains for search', () => {
    expect(planTaskQuery({ episode: ['EP01'], status: undefined, artist: ['Bob', 'bob', 'alice'], search: 'Sq0010 SH0020', include_archived: false, sort: 'priority', order: 'desc' })).toEqual({
      where: [
        { field: 'episode_key', op: '==', value: 'ep01' },
        { field: 'artist_key', op: 'in', value: ['bob', 'alice'] },
        { field: 'archived', op: '==', value: false },
        { field: 'search_tokens', op: 'array-contains', value: 'sq0010_sh0020' },
      ],
      orderBy: [{ field: 'priority_rank', direction: 'desc' }],
    });
  });
});
