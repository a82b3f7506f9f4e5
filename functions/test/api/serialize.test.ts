// What a stored document looks like in an API answer (lib/serialize.ts): every kind of Firestore
// value, read back from the emulator, in its JSON form; derived fields left out.
import { GeoPoint, Timestamp } from 'firebase-admin/firestore';
import { describe, expect, it } from 'vitest';
import { docToJson } from '../../src/lib/serialize.js';
import { createTestContext } from '../support/context.js';

const ctx = createTestContext('serialize');

describe('docToJson', () => {
  it('answers each value kind as JSON, nested ones too, without the omitted fields', async () => {
    const ref = ctx.db.doc('serialize/s1');
    await ref.set({
      text: 'plate',
      count: 3,
      none: null,
      flag: false,
      when: new Timestamp(1_767_225_600, 123_000_000),
      where: new GeoPoint(48.85, 2.35),
      parent: ctx.db.doc('projects/SWA'),
      list: [1, new Timestamp(0, 0), { at: new Timestamp(86_400, 0) }],
      map: { 'Frame In': 1001, deep: { ref: ctx.db.doc('tasks/t1'), empty: {} } },
      search_tokens: ['pl', 'pla'],
    });
    const json = docToJson(await ref.get(), new Set(['search_tokens']));
    expect(json).toEqual({
      id: 's1',
      text: 'plate',
      count: 3,
      none: null,
      flag: false,
      when: '2026-01-01T00:00:00.123Z',
      where: { latitude: 48.85, longitude: 2.35 },
      parent: 'projects/SWA',
      list: [1, '1970-01-01T00:00:00.000Z', { at: '1970-01-02T00:00:00.000Z' }],
      map: { 'Frame In': 1001, deep: { ref: 'tasks/t1', empty: {} } },
    });
    expect(Object.keys(json)[0]).toBe('id');
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
