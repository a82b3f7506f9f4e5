// The fetch-based core: one request path (auth header, ID-token refresh, envelope errors, ETags),
// pagination as an async iterator over next_page_token, uploads with progress, and the spec's
// apiClient methods on top.
import type {
  Annotation,
  AnnotationCreate,
  AnnotationFilters,
  ApiPath,
  BulkUpdate,
  DirectoryStructure,
  ImportJob,
  ImportReport,
  LoginResponse,
  Me,
  Media,
  MediaApproval,
  MediaFilters,
  Page,
  Project,
  ProjectCreate,
  ProjectMembers,
  ResponseOf,
  Task,
  TaskCreate,
  TaskFilters,
  TaskScope,
  TaskUpdate,
  UploadUrlRequest,
} from './api-types.js';
import { MontuApiError, MontuNetworkError } from './errors.js';
import { send, type ProgressCallback } from './transfer.js';

export const DEFAULT_BASE_URL = 'http://localhost:8080/api/v1';
/** Refresh this long before the ID token expires, so a request never leaves with a dying token. */
const EXPIRY_MARGIN_MS = 60_000;

/** A login: keep it (it holds the refresh token) to resume after a restart. */
export interface Session {
  access_token: string;
  refresh_token: string;
  /** Epoch milliseconds when access_token expires. */
  expires_at: number;
  user_id: string;
  project_id: string | null;
  permissions: LoginResponse['permissions'];
}

/** Anything that hands out ID tokens; a signed-in Firebase `User` is one. */
export interface TokenSource {
  getIdToken(forceRefresh?: boolean): Promise<string>;
}

export interface MontuClientOptions {
  /** Default http://localhost:8080/api/v1, the local stack's (and the spec's) base URL. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** A saved login to resume. */
  session?: Session | null;
  /** Called with each new session (login, refresh) and null on logout: store it to resume later. */
  onSession?: (session: Session | null) => void;
  /** Instead of login(): tokens from elsewhere, e.g. the Firebase Auth user a web app signed in. */
  tokenSource?: TokenSource;
  now?: () => number;
}

export type QueryValue = string | number | boolean | readonly string[] | null | undefined;

export interface RequestOptions {
  query?: object;
  /** JSON, or FormData for multipart routes. */
  body?: unknown;
  headers?: Record<string, string>;
  /** The ETag this change is based on: the API answers 412 PRECONDITION_FAILED when it is stale. */
  ifMatch?: string | null | undefined;
  signal?: AbortSignal;
  /** False for the public routes (login, refresh). */
  auth?: boolean;
}

export interface ApiResponse<T> {
  status: number;
  data: T;
  /** The resource's version, for If-Match. */
  etag: string | null;
  headers: Headers;
}

export interface UploadOptions extends TaskScope {
  version?: string;
  description?: string;
  tags?: string[];
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export type UploadUrlReply = ResponseOf<'/media/upload-url', 'post'>;

type CsvFile = Blob & { name?: string };

export class MontuClient {
  readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private session: Session | null;
  private refreshing: Promise<Session> | null = null;
  private readonly onSession: (session: Session | null) => void;
  private readonly tokenSource: TokenSource | undefined;
  private readonly now: () => number;

  constructor(options: MontuClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    // Called through a wrapper: a browser's fetch refuses to run with another `this`.
    const fetchImpl = options.fetch ?? globalThis.fetch;
    this.fetchImpl = (input, init) => fetchImpl(input, init);
    this.session = options.session ?? null;
    this.onSession = options.onSession ?? (() => {});
    this.tokenSource = options.tokenSource;
    this.now = options.now ?? Date.now;
  }

  get currentSession(): Session | null {
    return this.session;
  }

  // --- auth -----------------------------------------------------------------------------------

  async login(email: string, password: string, projectId?: string): Promise<LoginResponse> {
    const body = { email, password, ...(projectId ? { project_id: projectId } : {}) };
    const { data } = await this.request<LoginResponse>('POST', '/auth/login', { body, auth: false });
    this.setSession(data);
    return data;
  }

  /** Trades the refresh token for a new ID token (POST /auth/refresh); concurrent callers share one call. */
  async refresh(): Promise<Session> {
    const current = this.session;
    if (!current) throw new Error('Not logged in: call login() first');
    this.refreshing ??= this.request<LoginResponse>('POST', '/auth/refresh', {
      body: { refresh_token: current.refresh_token, ...(current.project_id ? { project_id: current.project_id } : {}) },
      auth: false,
    })
      .then(({ data }) => this.setSession(data))
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  async logout(): Promise<void> {
    try {
      await this.request('POST', '/auth/logout');
    } finally {
      this.session = null;
      this.onSession(null);
    }
  }

  me(): Promise<Me> {
    return this.get('/auth/me');
  }

  private setSession(data: LoginResponse): Session {
    this.session = {
      access_token: data.access_token,
      refresh_token: data.refresh_token,
      expires_at: this.now() + data.expires_in * 1000,
      user_id: data.user_id,
      project_id: data.project_id,
      permissions: data.permissions,
    };
    this.onSession(this.session);
    return this.session;
  }

  private async idToken(forceRefresh: boolean): Promise<string | null> {
    if (this.tokenSource) return this.tokenSource.getIdToken(forceRefresh);
    if (!this.session) return null;
    if (forceRefresh || this.now() >= this.session.expires_at - EXPIRY_MARGIN_MS) return (await this.refresh()).access_token;
    return this.session.access_token;
  }

  // --- the request path -------------------------------------------------------------------------

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.ifMatch) headers['if-match'] = options.ifMatch;
    let body: BodyInit | null = null;
    if (options.body instanceof FormData) body = options.body;
    else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const url = this.url(path, options.query);
    const res = await this.authorized(options.auth ?? true, (auth) =>
      this.network(`${method} ${path}`, () => this.fetchImpl(url, { method, headers: { ...headers, ...auth }, body, signal: options.signal ?? null })),
    );
    return this.read<T>(res);
  }

  /** Sends with the ID token; on a 401, once more with a fresh one (a token can be revoked, or expire early on a skewed clock). */
  private async authorized(useAuth: boolean, send: (auth: Record<string, string>) => Promise<Response>): Promise<Response> {
    const header = (token: string | null): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
    const res = await send(header(useAuth ? await this.idToken(false) : null));
    if (res.status !== 401 || !useAuth || !(this.tokenSource || this.session)) return res;
    return send(header(await this.idToken(true)));
  }

  private async read<T>(res: Response): Promise<ApiResponse<T>> {
    if (!res.ok) throw await MontuApiError.from(res);
    const text = res.status === 204 ? '' : await res.text();
    const data = (text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text || undefined) as T;
    return { status: res.status, data, etag: res.headers.get('etag'), headers: res.headers };
  }

  url(path: string, query?: object): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries((query ?? {}) as Record<string, QueryValue>)) {
      if (value === undefined || value === null) continue;
      params.set(name, Array.isArray(value) ? value.join(',') : String(value));
    }
    const search = params.toString();
    return `${this.baseUrl}${path}${search ? `?${search}` : ''}`;
  }

  async get<T>(path: string, query?: object): Promise<T> {
    return (await this.request<T>('GET', path, { query })).data;
  }

  /** Every item of a list route, page after page, following next_page_token. */
  async *paginate<T>(path: ApiPath | string, query: object = {}): AsyncGenerator<T, void, undefined> {
    let pageToken: string | null = null;
    do {
      const page: Page<T> = await this.get<Page<T>>(path, { ...query, ...(pageToken ? { page_token: pageToken } : {}) });
      yield* page.items;
      pageToken = page.next_page_token;
    } while (pageToken);
  }

  // --- projects -------------------------------------------------------------------------------

  async createProject(project: ProjectCreate): Promise<Project> {
    return (await this.request<Project>('POST', '/projects', { body: project })).data;
  }

  getProject(projectId: string): Promise<Project> {
    return this.get(`/projects/${enc(projectId)}`);
  }

  async addProjectUsers(projectId: string, users: ProjectMembers): Promise<ResponseOf<'/projects/{project_id}/users', 'post'>> {
    return (await this.request<ResponseOf<'/projects/{project_id}/users', 'post'>>('POST', `/projects/${enc(projectId)}/users`, { body: users })).data;
  }

  async createDirectoryStructure(projectId: string, plan: DirectoryStructure): Promise<ResponseOf<'/projects/{project_id}/directory-structure', 'post'>> {
    return (await this.request<ResponseOf<'/projects/{project_id}/directory-structure', 'post'>>('POST', `/projects/${enc(projectId)}/directory-structure`, { body: plan })).data;
  }

  // --- tasks ----------------------------------------------------------------------------------

  getTasks(filters: TaskFilters = {}): Promise<Page<Task>> {
    return this.get('/tasks', filters);
  }

  /** Every task matching the filters, across pages. */
  tasks(filters: Omit<TaskFilters, 'page'> = {}): AsyncGenerator<Task, void, undefined> {
    return this.paginate<Task>('/tasks', filters);
  }

  /** GET /tasks/{id}; scope.project_id picks the project when several of the caller's projects use the id (else 409). */
  getTask(taskId: string, scope: TaskScope = {}): Promise<Task> {
    return this.get(`/tasks/${enc(taskId)}`, scope);
  }

  /** The task with its ETag, to send back as If-Match. */
  async getTaskVersioned(taskId: string, scope: TaskScope = {}): Promise<{ task: Task; etag: string | null }> {
    const { data, etag } = await this.request<Task>('GET', `/tasks/${enc(taskId)}`, { query: scope });
    return { task: data, etag };
  }

  async createTask(task: TaskCreate): Promise<Task> {
    return (await this.request<Task>('POST', '/tasks', { body: task })).data;
  }

  /** PATCH /tasks/{id}; with ifMatch, a task changed since that ETag answers 412. */
  updateTask(taskId: string, updates: TaskUpdate, options: { ifMatch?: string | null } & TaskScope = {}): Promise<ApiResponse<Task>> {
    return this.request<Task>('PATCH', `/tasks/${enc(taskId)}`, { body: updates, ifMatch: options.ifMatch, query: { project_id: options.project_id } });
  }

  async bulkUpdateTasks(updates: BulkUpdate): Promise<ResponseOf<'/tasks/bulk-update', 'patch'>> {
    return (await this.request<ResponseOf<'/tasks/bulk-update', 'patch'>>('PATCH', '/tasks/bulk-update', { body: updates })).data;
  }

  // --- CSV import (the spec's workflow 2) ------------------------------------------------------

  /** Checks the file without writing (validate_only): the report's errors and preview. */
  validateCSV(file: CsvFile, projectId: string, options: { naming_pattern?: string } = {}): Promise<ImportReport> {
    return this.importForm('/tasks/import-csv', file, { project_id: projectId, validate_only: 'true', ...options });
  }

  /** What the import would create, update or skip, row by row (the same dry run as validateCSV). */
  previewCSVImport(file: CsvFile, projectId: string, options: { naming_pattern?: string } = {}): Promise<ImportReport> {
    return this.validateCSV(file, projectId, options);
  }

  /** Starts the background import; follow it with getImportStatus(job.id) or a listener. */
  async importCSV(file: CsvFile, projectId: string, options: { naming_pattern?: string; existing?: 'skip' | 'update' | 'fail' } = {}): Promise<{ id: string; job_id: string }> {
    const { job_id } = await this.importForm<{ job_id: string }>('/tasks/import-csv-async', file, { project_id: projectId, ...options });
    return { id: job_id, job_id };
  }

  getImportStatus(jobId: string): Promise<ImportJob> {
    return this.get(`/tasks/import-status/${enc(jobId)}`);
  }

  private async importForm<T = ImportReport>(path: string, file: CsvFile, fields: Record<string, string>): Promise<T> {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.set(name, value);
    form.set('file', file, file.name ?? 'tasks.csv');
    return (await this.request<T>('POST', path, { body: form })).data;
  }

  // --- media ----------------------------------------------------------------------------------

  getMedia(mediaId: string): Promise<Media> {
    return this.get(`/media/${enc(mediaId)}`);
  }

  listMedia(filters: MediaFilters = {}): Promise<Page<Media>> {
    return this.get('/media', filters);
  }

  async approveMedia(mediaId: string, approval: MediaApproval): Promise<ResponseOf<'/media/{media_id}/approve', 'post'>> {
    return (await this.request<ResponseOf<'/media/{media_id}/approve', 'post'>>('POST', `/media/${enc(mediaId)}/approve`, { body: approval })).data;
  }

  /** Multipart POST /media (files up to the function's body limit, 31 MiB), with upload progress. */
  async uploadMedia(file: Blob & { name: string }, taskId: string, options: UploadOptions = {}): Promise<Media> {
    const form = new FormData();
    form.set('task_id', taskId);
    if (options.project_id !== undefined) form.set('project_id', options.project_id);
    form.set('version', options.version ?? 'v001');
    if (options.description !== undefined) form.set('description', options.description);
    if (options.tags) form.set('tags', options.tags.join(','));
    form.set('file', file, file.name);
    // Serialised once, so the progress has a total and Content-Length is known.
    const body = await new Response(form).blob();
    const res = await this.authorized(true, (auth) =>
      this.network('POST /media', () =>
        send({ method: 'POST', url: this.url('/media'), headers: { accept: 'application/json', 'content-type': body.type, ...auth }, body, onProgress: options.onProgress, signal: options.signal }, this.fetchImpl),
      ),
    );
    return (await this.read<Media>(res)).data;
  }

  /**
   * Any size up to MAX_FILE_SIZE: POST /media/upload-url makes the pending record and a signed
   * resumable session, then the bytes go straight to Cloud Storage with progress. The Storage
   * trigger completes the record (status active, metadata, thumbnails) shortly after.
   */
  async uploadLargeMedia(file: Blob & { name: string }, taskId: string, options: UploadOptions = {}): Promise<UploadUrlReply> {
    const request: UploadUrlRequest = {
      task_id: taskId,
      ...(options.project_id !== undefined ? { project_id: options.project_id } : {}),
      file_name: file.name,
      file_size: file.size,
      // The server checks it against the file name's type; a browser leaves it empty when it cannot tell.
      ...(file.type ? { content_type: file.type } : {}),
      version: options.version ?? 'v001',
      ...(options.description !== undefined ? { description: options.description } : {}),
      ...(options.tags ? { tags: options.tags } : {}),
    };
    const { data: reply } = await this.request<UploadUrlReply>('POST', '/media/upload-url', { body: request });
    const res = await this.network('PUT upload_url', () =>
      send({ method: reply.upload_method, url: reply.upload_url, headers: reply.upload_headers, body: file, onProgress: options.onProgress, signal: options.signal }, this.fetchImpl),
    );
    if (!res.ok) throw await MontuApiError.from(res);
    return reply;
  }

  private async network(what: string, call: () => Promise<Response>): Promise<Response> {
    try {
      return await call();
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new MontuNetworkError(`${what}: no answer (${(err as Error).message})`, { cause: err });
    }
  }

  // --- annotations ----------------------------------------------------------------------------

  getAnnotations(filters: AnnotationFilters = {}): Promise<Page<Annotation>> {
    return this.get('/annotations', filters);
  }

  async createAnnotation(annotation: AnnotationCreate): Promise<Annotation> {
    return (await this.request<Annotation>('POST', '/annotations', { body: annotation })).data;
  }
}

const enc = encodeURIComponent;
