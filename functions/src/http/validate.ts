import { z } from 'zod';
import { validationError } from './errors.js';

export interface FieldIssue {
  field: string;
  issue: string;
}

/** The spec's `details` ({field, issue}) for the first problem, plus every problem under `errors`. */
export function issuesToDetails(issues: readonly z.core.$ZodIssue[], prefix?: string) {
  const errors: FieldIssue[] = issues.map((i) => ({
    field: [prefix, ...i.path.map(String)].filter(Boolean).join('.') || (prefix ?? 'body'),
    issue: describeIssue(i),
  }));
  return { field: errors[0]?.field, issue: errors[0]?.issue, errors };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `Unknown field(s): ${issue.keys.join(', ')}`;
  return issue.message;
}

/** Parses `value` with `schema` or throws a 400 naming every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, where: 'path' | 'query' | 'body' | string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = issuesToDetails(result.error.issues, where === 'body' ? undefined : where);
  const summary = details.errors.map((e) => `${e.field}: ${e.issue}`).join('; ');
  throw validationError(`Invalid ${where === 'path' ? 'path parameter' : where}: ${summary}`, details);
}
