// Path Builder endpoints: who may ask (project readers), which project configuration applies, and how
// the pure builder's outcomes map to the API's answers.
import type { DocumentSnapshot } from 'firebase-admin/firestore';
import type { Caller } from '../auth/caller.js';
import { ApiError, notFound, unprocessable } from '../http/errors.js';
import { configured, taskConfigOf } from '../tasks/project-config.js';
import { PathBuilder, PathConfigError, type GenerateFailure, type Generated } from './builder.js';
import type { PathConfig, TaskValues } from './placeholders.js';
import type { GenerateBatchInput, GenerateInput } from './schemas.js';
import { DomainService } from '../lib/domain-service.js';

const stringMap = (value: unknown): Record<string, string> =>
  value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string')) : {};

/** The path configuration stored on a project document. */
export function pathConfigOf(snap: DocumentSnapshot): PathConfig {
  const data = snap.data() ?? {};
  return {
    id: snap.id,
    drive_mapping: stringMap(data.drive_mapping),
    path_segments: stringMap(data.path_segments),
    templates: stringMap(data.templates),
    filename_patterns: stringMap(data.filename_patterns),
  };
}

/** The project's compiled Path Builder; 422 naming each problem when its stored configuration is unusable. */
export function builderFor(snap: DocumentSnapshot): PathBuilder {
  try {
    return PathBuilder.compile(pathConfigOf(snap));
  } catch (err) {
    if (!(err instanceof PathConfigError)) throw err;
    throw unprocessable(`Project ${snap.id}'s path configuration is invalid (fix it with PATCH /projects/${snap.id}): ${err.issues.map((i) => `${i.field}: ${i.issue}`).join('; ')}`, {
      errors: err.issues,
    });
  }
}

/** A builder failure as the API error it is: every one is about the project's configuration or the task's values (422). */
function failureError(failure: GenerateFailure): ApiError {
  switch (failure.kind) {
    case 'unknown_template':
      return unprocessable(failure.message, { field: 'template_type', issue: 'unknown', available: failure.available });
    case 'unknown_pattern':
      return unprocessable(failure.message, { field: 'filename_pattern', issue: 'unknown', available: failure.available });
    default:
      return unprocessable(failure.message, { field: 'task_data', issue: failure.kind, ...(failure.missing ? { missing: failure.missing } : {}), ...(failure.invalid ? { invalid: failure.invalid } : {}) });
  }
}

function generatedJson(g: Generated) {
  return { generated_path: g.path, components: g.components, template_used: g.template, pattern_used: g.pattern };
}

export class PathsService extends DomainService {

  private async project(caller: Caller, projectId: string): Promise<DocumentSnapshot> {
    await this.access.require(caller, projectId, 'read');
    const snap = await this.projects.get(projectId);
    if (!snap) throw notFound(`Project ${projectId}`);
    return snap;
  }

  /** Generates one path; the task type must be one of the project's (any case; the project's spelling is used). */
  private generateOne(builder: PathBuilder, taskTypes: readonly string[], projectId: string, template: string, pattern: string | undefined, values: TaskValues): Generated | GenerateFailure {
    let task = values.task;
    if (task !== undefined) {
      task = configured(taskTypes, task);
      if (task === undefined) {
        const issue = `task '${values.task}' is not one of project ${projectId}'s task_types: ${taskTypes.join(', ')}`;
        return { ok: false, kind: 'invalid', message: issue, invalid: [{ placeholder: 'task', issue }] };
      }
    }
    return builder.generate({ template, pattern, values: { ...values, task } });
  }

  async generate(caller: Caller, input: GenerateInput) {
    const snap = await this.project(caller, input.project_id);
    const result = this.generateOne(builderFor(snap), taskConfigOf(snap.data()).task_types, snap.id, input.template_type, input.filename_pattern, input.task_data);
    if (!result.ok) throw failureError(result);
    return generatedJson(result);
  }

  /** Many tasks, one template: the template and pattern are checked once, then each task answers for itself. */
  async generateBatch(caller: Caller, input: GenerateBatchInput) {
    const snap = await this.project(caller, input.project_id);
    const builder = builderFor(snap);
    const probe = builder.generate({ template: input.template_type, pattern: input.filename_pattern, values: {} });
    if (!probe.ok && (probe.kind === 'unknown_template' || probe.kind === 'unknown_pattern')) throw failureError(probe);
    const taskTypes = taskConfigOf(snap.data()).task_types;
    const results = input.tasks.map(({ task_id, ...values }, index) => {
      const r = this.generateOne(builder, taskTypes, snap.id, input.template_type, input.filename_pattern, values);
      const key = task_id === undefined ? { index } : { index, task_id };
      if (r.ok) return { ...key, generated_path: r.path, components: r.components };
      const e = failureError(r);
      return { ...key, error: { code: e.code, message: e.message, details: e.details } };
    });
    const failed = results.filter((r) => 'error' in r).length;
    return {
      project_id: snap.id,
      template_used: input.template_type,
      pattern_used: input.filename_pattern ?? null,
      total: results.length,
      succeeded: results.length - failed,
      failed,
      results,
    };
  }

  /** Parses a path against the project's templates and patterns; an unknown task type makes it invalid. */
  async validate(caller: Caller, projectId: string, path: string) {
    const snap = await this.project(caller, projectId);
    const result = builderFor(snap).validate(path);
    if (!result.valid) {
      return { valid: false, path: result.path, project_id: snap.id, template_used: null, pattern_used: null, components: null, message: result.message, mismatch: result.closest };
    }
    const taskTypes = taskConfigOf(snap.data()).task_types;
    const task = result.components.task;
    const unknownTask = task !== undefined && configured(taskTypes, task) === undefined;
    return {
      valid: !unknownTask,
      path: result.path,
      project_id: snap.id,
      template_used: result.template,
      pattern_used: result.pattern,
      components: result.components,
      message: unknownTask ? `Path follows template ${result.template} but task '${task}' is not one of project ${snap.id}'s task_types: ${taskTypes.join(', ')}` : null,
      mismatch: null,
    };
  }
}
