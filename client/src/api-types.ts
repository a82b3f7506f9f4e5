// Named types over the generated OpenAPI types: what each route takes and answers.
import type { paths } from './generated/openapi.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Prefix = '/api/v1';
/** A route's path as written after the base URL, e.g. `/tasks/{task_id}`. */
export type ApiPath = keyof paths extends infer K ? (K extends `${Prefix}${infer R}` ? R : never) : never;

type Operation<P extends ApiPath, M extends Method> = `${Prefix}${P}` extends keyof paths ? NonNullable<paths[`${Prefix}${P}`][M]> : never;
type Json<C> = C extends { content: { 'application/json': infer B } } ? B : never;

/** The JSON a route answers on success. */
export type ResponseOf<P extends ApiPath, M extends Method> = Operation<P, M> extends { responses: infer R } ? Json<R[Extract<keyof R, 200 | 201 | 202>]> : never;
/** The JSON body a route takes. */
export type BodyOf<P extends ApiPath, M extends Method> = Operation<P, M> extends { requestBody?: infer B } ? Json<NonNullable<B>> : never;
/** A route's query parameters. */
export type QueryOf<P extends ApiPath, M extends Method> = Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

export type Task = ResponseOf<'/tasks/{task_id}', 'get'>;
export type TaskCreate = BodyOf<'/tasks', 'post'>;
export type TaskUpdate = BodyOf<'/tasks/{task_id}', 'patch'>;
export type TaskFilters = Omit<QueryOf<'/tasks', 'get'>, 'page_token'>;
/** Which project's task a bare id names, for a caller in several projects that use the id (docs/task-ids.md). */
export type TaskScope = QueryOf<'/tasks/{task_id}', 'get'>;
export type BulkUpdate = BodyOf<'/tasks/bulk-update', 'patch'>;
export type Project = ResponseOf<'/projects/{project_id}', 'get'>;
export type ProjectCreate = BodyOf<'/projects', 'post'>;
export type ProjectMembers = BodyOf<'/projects/{project_id}/users', 'post'>;
export type DirectoryStructure = BodyOf<'/projects/{project_id}/directory-structure', 'post'>;
export type Media = ResponseOf<'/media/{media_id}', 'get'>;
export type MediaFilters = Omit<QueryOf<'/media', 'get'>, 'page_token'>;
export type MediaApproval = BodyOf<'/media/{media_id}/approve', 'post'>;
export type UploadUrlRequest = BodyOf<'/media/upload-url', 'post'>;
export type Annotation = ResponseOf<'/annotations', 'post'>;
export type AnnotationCreate = BodyOf<'/annotations', 'post'>;
export type AnnotationFilters = Omit<QueryOf<'/annotations', 'get'>, 'page_token'>;
export type ImportReport = ResponseOf<'/tasks/import-csv', 'post'>;
export type ImportJob = ResponseOf<'/tasks/import-status/{job_id}', 'get'>;
export type LoginResponse = ResponseOf<'/auth/login', 'post'>;
export type Me = ResponseOf<'/auth/me', 'get'>;

/** The planned list wrapper every list route answers (as the API's document declares it), of `T`. */
export type Page<T> = Omit<ResponseOf<'/tasks', 'get'>, 'items'> & { items: T[] };
