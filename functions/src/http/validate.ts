// The one place zod issues become the spec's error details: the router's schema checks and the
// checks that need stored data (a task's project configuration) are reported the same way.
import { z } from 'zod';
import { validationError, type ApiError } from './errors.js';

export type Issue = z.core.$ZodIssue;

export interface FieldIssue {
  field: string;
  issue: string;
}

export interface DetailsOptions {
  /** Where the fields are (`path`, `query`): their names get it as a prefix. */
  prefix?: string | undefined;
  /** One problem per field (its first), each unknown key named as its own field: how task input is reported. */
  perField?: boolean | undefined;
}

/** A problem found outside the schema, in the schema's shape, so it is reported with the schema's. */
export function fieldIssue(field: string, message: string, input?: unknown): Issue {
  return { code: 'custom', path: [field], message, input };
}

/**
 * A union's issues from the branch the input was meant for: when every other branch failed on the
 * input's type alone, the input's problems are that branch's (not "no branch matched").
 */
function unwrapUnions(issues: readonly Issue[]): Issue[] {
  return issues.flatMap((issue) => {
    if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
    const meant = issue.errors.filter((branch) => !branch.every((i) => i.code === 'invalid_type' && i.path.length === 0));
    if (meant.length !== 1) return [issue];
    return unwrapUnions(meant[0]!.map((i) => ({ ...i, path: [...issue.path, ...i.path] }) as Issue));
  });
}

/** The spec's `details` ({field, issue}) for the first problem, plus every problem under `errors`. */
export function issuesToDetails(issues: readonly Issue[], options: DetailsOptions = {}) {
  const name = (path: readonly PropertyKey[]) => [options.prefix, ...path.map(String)].filter(Boolean).join('.') || (options.prefix ?? 'body');
  const errors: FieldIssue[] = [];
  for (const i of unwrapUnions(issues)) {
    if (i.code === 'unrecognized_keys' && options.perField) {
      for (const key of i.keys) errors.push({ field: name([...i.path, key]), issue: 'Unknown field' });
      continue;
    }
    const error = { field: name(i.path), issue: i.code === 'unrecognized_keys' ? `Unknown field(s): ${i.keys.join(', ')}` : i.message };
    if (!options.perField || !errors.some((e) => e.field === error.field)) errors.push(error);
  }
  return { field: errors[0]?.field, issue: errors[0]?.issue, errors };
}

/** Every problem on one line: `episode: ...; task: ...`. */
export const describeIssues = (errors: readonly FieldIssue[]) => errors.map((e) => `${e.field}: ${e.issue}`).join('; ');

/** The 400 for `issues`: `Invalid <what>: ` and every problem, each also under `details.errors`. */
export function invalidInput(what: string, issues: readonly Issue[], options: DetailsOptions = {}): ApiError {
  const details = issuesToDetails(issues, options);
  return validationError(`Invalid ${what}: ${describeIssues(details.errors)}`, details);
}

/** Parses `value` with `schema` or throws a 400 naming every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, where: 'path' | 'query' | 'body' | string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw invalidInput(where === 'path' ? 'path parameter' : where, result.error.issues, { prefix: where === 'body' ? undefined : where });
}

/** A body parsed by its route's schema, handed to a service that checks more before reporting (see `refinesBody`). */
export type BodyParse<T> = { input: unknown } & ({ success: true; data: T; issues: readonly [] } | { success: false; data?: undefined; issues: readonly Issue[] });

export function parseBody<S extends z.ZodType>(schema: S, input: unknown): BodyParse<z.output<S>> {
  const result = schema.safeParse(input);
  return result.success ? { input, success: true, data: result.data, issues: [] } : { input, success: false, issues: result.error.issues };
}
