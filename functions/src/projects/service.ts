// Project domain service: who may see and change which project, the configuration rules that span
// fields (templates need the drives they use), listing by membership, stats by aggregation, and
// directory plans from the Path Builder.
import { FieldPath, FieldValue, type DocumentData, type DocumentSnapshot, type Transaction, type UpdateData } from 'firebase-admin/firestore';
import { z } from 'zod';
import { normalizePermissions } from '../auth/access.js';
import type { Caller } from '../auth/caller.js';
import { MemberStore } from '../members/store.js';
import { conflict, notFound, unprocessable, validationError } from '../http/errors.js';
import { decodePageToken, encodePageToken, MAX_OFFSET, paginate, queryFingerprint, type Page, type PageParams } from '../http/pagination.js';
import { assertIfMatch, etagOf, ifMatchPrecondition } from '../lib/etag.js';
import { requireOpenProject } from '../lib/open-project.js';
import { docToJson } from '../lib/serialize.js';
import { configIssues, type ConfigIssue } from '../paths/config-checks.js';
import type { PathConfig } from '../paths/placeholders.js';
import { builderFor, pathConfigOf } from '../paths/service.js';
import { MIN_TOKEN, searchKey, searchTokensOf } from '../lib/search.js';
import { DEFAULT_DONE_STATUSES } from '../tasks/dependencies.js';
import { configured, DEFAULT_TASK_CONFIG, taskConfigOf } from '../tasks/project-config.js';
import { TASK_STATUSES } from '../tasks/schemas.js';
import { MAX_DISJUNCTIONS, TaskStore } from '../tasks/store.js';
import { chunked } from '../lib/chunked.js';
import { MAX_CONFIG_ENTRIES, type DirectoryStructureInput, type ProjectCreateInput, type ProjectListQuery, type ProjectPatchInput, type ProjectStatus } from './schemas.js';
import { PROJECT_INDEX_FIELDS } from './store.js';
import { DomainService } from '../lib/domain-service.js';
import { MediaStore } from '../media/store.js';

export type ProjectJson = Record<string, unknown> & { id: string };

const PROJECT_INDEX_FIELD_NAMES: ReadonlySet<string> = new Set(PROJECT_INDEX_FIELDS);

/** A project as the API returns it: spec fields and bookkeeping, without the query-only fields. */
export function toProject(snap: DocumentSnapshot): ProjectJson {
  return docToJson(snap, PROJECT_INDEX_FIELD_NAMES);
}

/** Most directories one directory-structure request may plan (the plan is stored in one document). */
export const MAX_DIRECTORIES = 5000;
/** Task statuses that mean someone is working on the task now (active artists). */
const WORKING_STATUSES = ['in_progress', 'pending_review', 'needs_revision'];
const DONE_STATUSES = ['completed', 'approved'];
/** Artist values that name nobody. */
const NO_ARTIST = ['', 'unassigned'];
/** Stops the artist skip-scan; a project with more distinct active artists reports this number. */
const MAX_ARTISTS = 2000;
const VISIBLE_STATUSES: ProjectStatus[] = ['active', 'completed'];
const NESTED_MAPS = ['drive_mapping', 'path_segments', 'templates', 'filename_patterns'] as const;

/** 1024-based, at most one decimal: 2684354560000 → "2.4TB", 512 → "512B". */
export function humanSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : Math.round(value * 10) / 10}${units[unit]}`;
}

function configError(issues: ConfigIssue[]) {
  return validationError(`Invalid project configuration: ${issues.map((i) => `${i.field}: ${i.issue}`).join('; ')}`, { field: issues[0]?.field, issue: issues[0]?.issue, errors: issues });
}

/**
 * The query-only fields stored with a project: `id_key` (the id lower-cased, so ids are unique in
 * any case) and `search_tokens` (word starts of the id, name and description; see README). Seeds
 * that write projects directly store these too.
 */
export function projectIndexFields(id: string, name: string, description: string): { id_key: string; search_tokens: string[] } {
  return { id_key: id.toLowerCase(), search_tokens: searchTokensOf({ phrases: [id, name], words: [description] }) };
}

/** A member's page cursor: the page it leads to and the last project id shown. */
const memberToken = z.object({ p: z.number().int().min(1), a: z.string(), q: z.string() });

export class ProjectService extends DomainService {
  private readonly members = new MemberStore(this.deps.db);
  private readonly tasks = new TaskStore(this.deps.db);
  private readonly media = new MediaStore(this.deps.db);

  private async existing(id: string): Promise<DocumentSnapshot> {
    const snap = await this.projects.get(id);
    if (!snap) throw notFound(`Project ${id}`);
    return snap;
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  async list(caller: Caller, query: ProjectListQuery): Promise<Page<ProjectJson>> {
    const statuses = query.status ? [...new Set(query.status)] : query.include_archived ? [...VISIBLE_STATUSES, 'archived' as const] : VISIBLE_STATUSES;
    let key: string | undefined;
    if (query.search !== undefined) {
      key = searchKey(query.search);
      if (key.length < MIN_TOKEN) throw validationError(`search needs at least ${MIN_TOKEN} letters or digits`, { field: 'search', issue: 'too_short' });
    }
    const readable = await this.access.readableProjects(caller);
    const filters = { statuses, searchKey: key };
    if (readable === 'all') return paginate(this.projects.query(filters), query, { orderBy: [], fingerprint: ['projects', filters], map: toProject });
    return this.memberPage(readable, filters, query);
  }

  /**
   * A page of the projects a member can read, in id order. Firestore takes at most 30 values per
   * disjunction, so the ids go in chunks (fewer per chunk when several statuses are asked for):
   * one count aggregation per chunk for the total, then only the chunks the page falls in are read.
   */
  private async memberPage(readable: string[], filters: { statuses: ProjectStatus[]; searchKey: string | undefined }, params: PageParams): Promise<Page<ProjectJson>> {
    const size = params.page_size;
    const chunkSize = Math.floor(MAX_DISJUNCTIONS / filters.statuses.length);
    const fingerprint = queryFingerprint(['projects', filters]);
    const ids = [...readable].sort();
    const all = chunked(ids, chunkSize);
    const counts = await Promise.all(all.map(async (c) => (await this.projects.query({ ...filters, ids: c }).count().get()).data().count));
    const total = counts.reduce((a, b) => a + b, 0);

    let page = params.page;
    let walk = all;
    let skip = (page - 1) * size;
    if (params.page_token) {
      const token = decodePageToken(params.page_token, memberToken, fingerprint);
      page = token.p;
      walk = chunked(ids.filter((id) => id > token.a), chunkSize);
      skip = 0;
    } else if (skip > MAX_OFFSET) {
      throw validationError(`page is too deep for offset paging (more than ${MAX_OFFSET} items skipped); follow next_page_token instead`);
    }

    const docs: DocumentSnapshot[] = [];
    for (const [i, chunk] of walk.entries()) {
      // Without a token the chunks are the counted ones: whole chunks before the page are skipped unread.
      if (!params.page_token && skip >= counts[i]!) {
        skip -= counts[i]!;
        continue;
      }
      let q = this.projects.query({ ...filters, ids: chunk }).orderBy(FieldPath.documentId());
      if (skip > 0) q = q.offset(skip);
      skip = 0;
      docs.push(...(await q.limit(size + 1 - docs.length).get()).docs);
      if (docs.length > size) break;
    }
    const items = docs.slice(0, size);
    const next = docs.length > size ? encodePageToken({ p: page + 1, a: items.at(-1)!.id, q: fingerprint }) : null;
    return { items: items.map(toProject), total, page, page_size: size, total_pages: Math.ceil(total / size), next_page_token: next };
  }

  async get(caller: Caller, id: string): Promise<{ project: ProjectJson; etag: string }> {
    await this.access.require(caller, id, 'read');
    const snap = await this.existing(id);
    return { project: toProject(snap), etag: etagOf(snap) };
  }

  // -------------------------------------------------------------------------------------------
  // Writing

  /** Global admins create projects; the creator becomes the project's admin. */
  async create(caller: Caller, input: ProjectCreateInput): Promise<{ project: ProjectJson; etag: string }> {
    this.access.requireGlobalAdmin(caller, 'create projects');
    const { id, ...fields } = input;
    const issues = configIssues({ id, ...fields });
    if (issues.length) throw configError(issues);
    const data = {
      ...fields,
      task_types: fields.task_types ?? [...DEFAULT_TASK_CONFIG.task_types],
      milestones: fields.milestones ?? [...DEFAULT_TASK_CONFIG.milestones],
      priority_levels: fields.priority_levels ?? [...DEFAULT_TASK_CONFIG.priority_levels],
      dependency_done_statuses: fields.dependency_done_statuses ?? [...DEFAULT_DONE_STATUSES],
      ...projectIndexFields(id, fields.name, fields.description),
    };
    const creatorIsAdmin = (tx: Transaction) =>
      this.members.upsert(
        { uid: caller.uid, project_id: id, email: caller.email, display_name: caller.displayName, permissions: normalizePermissions(['admin']) },
        caller.uid,
        true,
        tx,
      );
    if (!(await this.projects.create(id, data, caller.uid, creatorIsAdmin))) {
      throw conflict(`Project ${id} already exists (project ids are unique in any letter case)`, { field: 'id', issue: 'duplicate' });
    }
    const snap = await this.existing(id);
    return { project: toProject(snap), etag: etagOf(snap) };
  }

  /**
   * Partial update by a project admin. Nested maps merge key by key (null removes a key) and the
   * merged configuration is checked as a whole; lists replace. With If-Match the stored version
   * must still be the client's (412).
   */
  async update(caller: Caller, id: string, patch: ProjectPatchInput, ifMatch: string | undefined): Promise<{ project: ProjectJson; etag: string }> {
    await this.access.require(caller, id, 'admin');
    ifMatchPrecondition(ifMatch);
    const snap = await this.projects.change(id, (current) => {
      assertIfMatch(current, ifMatch);
      const stored = current.data() ?? {};
      const update: UpdateData<DocumentData> = {};
      for (const key of NESTED_MAPS) {
        const given = patch[key] as Record<string, string | null | undefined> | undefined;
        if (!given) continue;
        const merged: Record<string, string> = { ...(stored[key] as Record<string, string> | undefined) };
        for (const [k, v] of Object.entries(given)) {
          if (v === null) delete merged[k];
          else if (v !== undefined) merged[k] = v;
        }
        if (Object.keys(merged).length > MAX_CONFIG_ENTRIES) throw configError([{ field: key, issue: `At most ${MAX_CONFIG_ENTRIES} entries after merging` }]);
        update[key] = merged;
      }
      const config: PathConfig = { ...pathConfigOf(current), ...(update as Partial<PathConfig>) };
      const issues = configIssues(config);
      if (issues.length) throw configError(issues);
      for (const key of ['name', 'description', 'task_types', 'milestones', 'priority_levels', 'allow_self_review', 'dependency_done_statuses'] as const) {
        if (patch[key] !== undefined) update[key] = patch[key];
      }
      if (patch.name !== undefined || patch.description !== undefined) {
        Object.assign(update, projectIndexFields(id, patch.name ?? String(stored.name ?? ''), patch.description ?? String(stored.description ?? '')));
      }
      if (patch.status !== undefined && patch.status !== stored.status) Object.assign(update, this.statusChange(caller, patch.status));
      return { ...update, updated_by: caller.uid, updated_at: FieldValue.serverTimestamp() };
    });
    if (!snap) throw notFound(`Project ${id}`);
    return { project: toProject(snap), etag: etagOf(snap) };
  }

  private statusChange(caller: Caller, status: ProjectStatus): UpdateData<DocumentData> {
    return status === 'archived'
      ? { status, archived_at: FieldValue.serverTimestamp(), archived_by: caller.uid }
      : { status, archived_at: FieldValue.delete(), archived_by: FieldValue.delete() };
  }

  /** DELETE archives: the project stays readable, lists hide it, it takes no new tasks or media. */
  async archive(caller: Caller, id: string, ifMatch: string | undefined): Promise<{ project: ProjectJson; etag: string }> {
    await this.access.require(caller, id, 'admin');
    ifMatchPrecondition(ifMatch);
    const snap = await this.projects.change(id, (current) => {
      assertIfMatch(current, ifMatch);
      if (current.get('status') === 'archived') return null;
      return { ...this.statusChange(caller, 'archived'), updated_by: caller.uid, updated_at: FieldValue.serverTimestamp() };
    });
    if (!snap) throw notFound(`Project ${id}`);
    return { project: toProject(snap), etag: etagOf(snap) };
  }

  // -------------------------------------------------------------------------------------------
  // Stats and directory plans

  /**
   * The spec's project statistics from count and sum aggregations (one per status, per task type
   * and per media status) and a skip-scan for distinct artists: no task or media document is read
   * in bulk, whatever the project's size.
   */
  async stats(caller: Caller, id: string) {
    await this.access.require(caller, id, 'read');
    const snap = await this.existing(id);
    const statuses = TASK_STATUSES.filter((s) => s !== 'archived');
    const types = taskConfigOf(snap.data()).task_types;
    const [byStatus, byType, media, archivedMedia, activeArtists] = await Promise.all([
      Promise.all(statuses.map((s) => this.tasks.count(id, [{ field: 'status', value: s }]))),
      Promise.all(types.map((t) => this.tasks.count(id, [{ field: 'task', value: t }, { field: 'archived', value: false }]))),
      this.media.totals(id, 'active'),
      this.media.totals(id, 'archived'),
      this.tasks.distinctArtists(id, WORKING_STATUSES, NO_ARTIST, MAX_ARTISTS),
    ]);
    const tasksByStatus = Object.fromEntries(statuses.map((s, i) => [s, byStatus[i]!]));
    const total = byStatus.reduce((a, b) => a + b, 0);
    const done = DONE_STATUSES.reduce((n, s) => n + (tasksByStatus[s] ?? 0), 0);
    const bytes = media.bytes + archivedMedia.bytes;
    return {
      project_id: id,
      total_tasks: total,
      tasks_by_status: tasksByStatus,
      tasks_by_type: Object.fromEntries(types.map((t, i) => [t, byType[i]!])),
      total_media_files: media.count,
      total_storage_size: humanSize(bytes),
      total_storage_bytes: bytes,
      active_artists: activeArtists,
      completion_percentage: total === 0 ? 0 : Math.round((done / total) * 1000) / 10,
    };
  }

  /**
   * Plans the folder tree for the given episodes, sequences, shots and task types from the project's
   * templates and records it as a pending `directory_operations` document for a studio-side agent.
   * Nothing here touches a filesystem.
   */
  async planDirectoryStructure(caller: Caller, id: string, input: DirectoryStructureInput) {
    await this.access.require(caller, id, 'write');
    const snap = requireOpenProject(await this.existing(id), 'it takes no new directories');
    const projectTypes = taskConfigOf(snap.data()).task_types;
    const asked = input.task_types ?? [...projectTypes];
    const unknown = asked.filter((t) => configured(projectTypes, t) === undefined);
    if (unknown.length) {
      throw unprocessable(`Not task types of project ${id}: ${unknown.join(', ')} (it has ${projectTypes.join(', ')})`, { field: 'task_types', issue: 'unknown', unknown });
    }
    const taskTypes = [...new Set(asked.map((t) => configured(projectTypes, t)!))];
    const builder = builderFor(snap);
    const templates = input.templates ?? builder.templateNames;
    const request = {
      episodes: input.episodes,
      sequences: input.sequences,
      shots: input.shots,
      task_types: taskTypes,
      templates,
      ...(input.version === undefined ? {} : { version: input.version }),
    };
    const plan = builder.planDirectories(request, MAX_DIRECTORIES);
    if ('ok' in plan) {
      throw unprocessable(plan.message, plan.kind === 'unknown_template' ? { field: 'templates', issue: 'unknown', available: plan.available } : { issue: plan.kind });
    }
    if (plan.directories.length === 0) throw unprocessable(`The templates ${templates.join(', ')} give no directories for this request`, { field: 'templates', issue: 'empty_plan' });
    const operation = await this.projects.recordDirectoryOperation({
      project_id: id,
      operation: 'create_structure',
      status: 'pending',
      request,
      directories: plan.directories,
      directory_count: plan.directories.length,
      created_by: caller.uid,
      updated_by: caller.uid,
    });
    return docToJson(operation);
  }
}
