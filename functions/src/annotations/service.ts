import { FieldValue, type DocumentSnapshot, type Transaction } from 'firebase-admin/firestore';
import type { Caller, Permission } from '../auth/caller.js';
import { conflict, forbidden, notFound, unprocessable, validationError } from '../http/errors.js';
import { paginate, type PageParams } from '../http/pagination.js';
import { assertIfMatch, etagOf } from '../lib/etag.js';
import { requireOpenProject } from '../lib/open-project.js';
import { docToJson } from '../lib/serialize.js';
import { checkRegion, mediaGeometry, settleMoment, type Drawing, type MediaGeometry, type Position } from './placement.js';
import {
  MAX_REPLIES,
  typeRuleIssues,
  type AnnotationJson,
  type AnnotationStatus,
  type CreateAnnotation,
  type ListAnnotationsQuery,
  type UpdateAnnotation,
} from './schemas.js';
import { AnnotationStore, mediaGone, type ReviewContext } from './store.js';
import { allInOrder } from '../lib/in-order.js';
import { DomainService } from '../lib/domain-service.js';

export interface Versioned {
  annotation: AnnotationJson;
  etag: string;
}

const toAnnotation = (snap: DocumentSnapshot) => docToJson<AnnotationJson>(snap);
const LIVE: AnnotationStatus[] = ['active', 'resolved'];

/** The review rules: who may annotate, where an annotation may sit, and the media's counters. */
export class AnnotationService extends DomainService {
  private readonly store = new AnnotationStore(this.deps.db);

  async list(caller: Caller, query: ListAnnotationsQuery) {
    const { page, page_size, page_token, include_archived, status, ...filters } = query;
    const { media_id, project_id } = filters;
    // The checks run together and while the page is read; they refuse in this order.
    const checks: Promise<unknown>[] = [];
    if (media_id !== undefined) {
      // The media names the project to check: its read and the caller's memberships overlap.
      this.access.prefetchMemberships(caller);
      checks.push(
        this.store.media(media_id).then(async (media) => {
          if (!media) throw notFound(`Media ${media_id}`);
          await this.access.require(caller, String(media.get('project_id')), 'read', `Media ${media_id}`);
        }),
      );
    }
    if (project_id !== undefined) {
      checks.push(this.access.require(caller, project_id, 'read'));
      checks.push(this.projects.get(project_id).then((project) => {
        if (!project) throw notFound(`Project ${project_id}`);
      }));
    }
    const statuses = status ?? (include_archived ? undefined : LIVE);
    const params: PageParams = { page, page_size, page_token };
    return paginate(this.store.query({ ...filters, status: statuses }), params, {
      orderBy: [
        { field: 'frame_number', direction: 'asc' },
        { field: 'created_at', direction: 'asc' },
      ],
      fingerprint: ['annotations', filters, statuses ?? null],
      map: toAnnotation,
      alongside: allInOrder(checks),
    });
  }

  async get(caller: Caller, id: string): Promise<Versioned> {
    const snap = await this.store.get(id);
    if (!snap) throw notFound(`Annotation ${id}`);
    await this.access.require(caller, String(snap.get('project_id')), 'read', `Annotation ${id}`);
    return { annotation: toAnnotation(snap), etag: etagOf(snap) };
  }

  async create(caller: Caller, body: CreateAnnotation): Promise<Versioned> {
    const review = await this.store.reviewContext(body.media_id);
    if (!review) throw notFound(`Media ${body.media_id}`);
    await this.access.require(caller, String(review.media.get('project_id')), 'write', `Media ${body.media_id}`);
    assertWritable(review);
    const geometry = mediaGeometry(review.media.get('metadata'), review.task?.get('frame_range'));
    const position = body.position ?? null;
    const drawing = body.drawing ?? null;
    const moment = settleMoment({ timestamp: body.timestamp ?? null, frame_number: body.frame_number ?? null }, geometry);
    rejectIssues([...checkRegion(position, drawing, geometry), ...moment.issues]);

    const ref = this.store.newRef();
    await this.store.transaction(body.media_id, async (tx) => {
      const parent = body.parent_id ? await this.threadRoot(tx, body.parent_id, body.media_id) : null;
      const now = FieldValue.serverTimestamp();
      tx.create(ref, {
        media_id: body.media_id,
        project_id: review.media.get('project_id'),
        author: caller.uid,
        author_name: caller.displayName ?? caller.email ?? null,
        annotation_type: body.annotation_type,
        content: body.content,
        position,
        drawing,
        coordinates: 'pixels' as const,
        timestamp: moment.timestamp,
        frame_number: moment.frame_number,
        parent_id: parent?.id ?? null,
        reply_count: 0,
        status: 'active',
        resolved_by: null,
        resolved_at: null,
        reopened_by: null,
        reopened_at: null,
        archived_by: null,
        archived_at: null,
        created_at: now,
        updated_at: now,
        updated_by: caller.uid,
      });
      // A reply adds to its thread, not to the media's open review points.
      this.countOnMedia(tx, body.media_id, caller, { total: 1, open: parent ? 0 : 1 });
      if (parent) tx.update(parent.ref, { reply_count: FieldValue.increment(1), updated_by: caller.uid, updated_at: now });
    });
    return this.reload(ref.id);
  }

  async update(caller: Caller, id: string, body: UpdateAnnotation, ifMatch: string | undefined): Promise<Versioned> {
    const mediaId = String((await this.requireAuthorOrAdmin(caller, id, 'edit')).get('media_id'));
    const review = await this.writableContext(mediaId);
    await this.store.transaction(mediaId, async (tx) => {
      const snap = await this.current(tx, id, ifMatch);
      if (snap.get('status') === 'archived') throw unprocessable(`Annotation ${id} is archived and can no longer be edited`);
      const next = {
        annotation_type: body.annotation_type ?? snap.get('annotation_type'),
        content: body.content ?? (snap.get('content') as string),
        position: (body.position === undefined ? snap.get('position') : body.position) as Position | null,
        drawing: (body.drawing === undefined ? snap.get('drawing') : body.drawing) as Drawing | null,
      };
      const typeIssues = typeRuleIssues(next);
      if (typeIssues.length > 0) throw validationError(`Invalid body: ${typeIssues.map((i) => `${i.field}: ${i.issue}`).join('; ')}`, { ...typeIssues[0], errors: typeIssues });

      const geometry = mediaGeometry(review.media.get('metadata'), review.task?.get('frame_range'));
      const regionMoved = body.position !== undefined || body.drawing !== undefined;
      const moment = this.movedMoment(snap, body, geometry);
      rejectIssues([...(regionMoved ? checkRegion(next.position, next.drawing, geometry) : []), ...(moment?.issues ?? [])]);

      tx.update(snap.ref, {
        ...next,
        ...(moment ? { timestamp: moment.timestamp, frame_number: moment.frame_number } : {}),
        updated_by: caller.uid,
        updated_at: FieldValue.serverTimestamp(),
      });
    });
    return this.reload(id);
  }

  async resolve(caller: Caller, id: string, ifMatch: string | undefined): Promise<Versioned> {
    return this.setResolution(caller, id, ifMatch, 'resolved');
  }

  async reopen(caller: Caller, id: string, ifMatch: string | undefined): Promise<Versioned> {
    return this.setResolution(caller, id, ifMatch, 'active');
  }

  /** Archives the annotation; archiving the first of a thread archives its replies with it. */
  async archive(caller: Caller, id: string, ifMatch: string | undefined): Promise<void> {
    const mediaId = String((await this.requireAuthorOrAdmin(caller, id, 'delete')).get('media_id'));
    await this.writableContext(mediaId);
    await this.store.transaction(mediaId, async (tx) => {
      const snap = await this.current(tx, id, ifMatch);
      if (snap.get('status') === 'archived') return;
      const parentId = snap.get('parent_id') as string | null;
      const replies = parentId ? [] : await this.store.liveReplies(id);

      const now = FieldValue.serverTimestamp();
      const archived = { status: 'archived', archived_by: caller.uid, archived_at: now, updated_by: caller.uid, updated_at: now };
      tx.update(snap.ref, parentId ? archived : { ...archived, reply_count: 0 });
      for (const reply of replies) tx.update(reply.ref, archived);
      if (parentId) tx.update(this.store.ref(parentId), { reply_count: FieldValue.increment(-1), updated_by: caller.uid, updated_at: now });
      const wasOpen = !parentId && snap.get('status') === 'active';
      this.countOnMedia(tx, mediaId, caller, { total: -(1 + replies.length), open: wasOpen ? -1 : 0 });
    });
  }

  private async setResolution(caller: Caller, id: string, ifMatch: string | undefined, to: 'resolved' | 'active'): Promise<Versioned> {
    const mediaId = String((await this.requireOnAnnotation(caller, id, 'write')).snap.get('media_id'));
    await this.writableContext(mediaId);
    await this.store.transaction(mediaId, async (tx) => {
      const snap = await this.current(tx, id, ifMatch);
      const status = snap.get('status') as AnnotationStatus;
      const verb = to === 'resolved' ? 'resolved' : 'reopened';
      if (status === 'archived') throw unprocessable(`Annotation ${id} is archived and cannot be ${verb}`);
      const parentId = snap.get('parent_id') as string | null;
      if (parentId) throw unprocessable(`Annotation ${id} is a reply; resolve or reopen its thread, annotation ${parentId}`);
      if (status === to) {
        throw conflict(to === 'resolved' ? `Annotation ${id} is already resolved (by ${snap.get('resolved_by')})` : `Annotation ${id} is already open`);
      }
      const now = FieldValue.serverTimestamp();
      const who = to === 'resolved' ? { resolved_by: caller.uid, resolved_at: now } : { resolved_by: null, resolved_at: null, reopened_by: caller.uid, reopened_at: now };
      tx.update(snap.ref, { status: to, ...who, updated_by: caller.uid, updated_at: now });
      this.countOnMedia(tx, mediaId, caller, { total: 0, open: to === 'resolved' ? -1 : 1 });
    });
    return this.reload(id);
  }

  /**
   * The new timestamp and frame when the update moves them, else null. They move together: giving
   * one re-derives the other when the frame rate is known; without one the other keeps its value.
   */
  private movedMoment(snap: DocumentSnapshot, body: UpdateAnnotation, geometry: MediaGeometry) {
    if (body.timestamp === undefined && body.frame_number === undefined) return null;
    const kept = (field: 'timestamp' | 'frame_number') => (geometry.fps === null ? (snap.get(field) as number | null) : null);
    return settleMoment(
      { timestamp: body.timestamp === undefined ? kept('timestamp') : body.timestamp, frame_number: body.frame_number === undefined ? kept('frame_number') : body.frame_number },
      geometry,
    );
  }

  /** Checks `needed` on the annotation's project; returns the snapshot read for it and the caller's permissions. */
  private async requireOnAnnotation(caller: Caller, id: string, needed: Permission): Promise<{ snap: DocumentSnapshot; permissions: Permission[] }> {
    const snap = await this.store.get(id);
    if (!snap) throw notFound(`Annotation ${id}`);
    const permissions = await this.access.require(caller, String(snap.get('project_id')), needed, `Annotation ${id}`);
    return { snap, permissions };
  }

  /** Checks the caller may edit or delete the annotation; returns the snapshot read for it. */
  private async requireAuthorOrAdmin(caller: Caller, id: string, action: 'edit' | 'delete'): Promise<DocumentSnapshot> {
    const { snap, permissions } = await this.requireOnAnnotation(caller, id, 'write');
    if (snap.get('author') !== caller.uid && !permissions.includes('admin')) {
      throw forbidden(`Only the author or a project admin may ${action} annotation ${id}`);
    }
    return snap;
  }

  /** The annotation as the transaction sees it, checked against the client's If-Match. */
  private async current(tx: Transaction, id: string, ifMatch: string | undefined): Promise<DocumentSnapshot> {
    const snap = await tx.get(this.store.ref(id));
    if (!snap.exists) throw notFound(`Annotation ${id}`);
    assertIfMatch(snap, ifMatch);
    return snap;
  }

  /** The media, project and task, refusing changes when the media or project no longer takes annotations. */
  private async writableContext(mediaId: string): Promise<ReviewContext> {
    const review = await this.store.reviewContext(mediaId);
    if (!review) throw mediaGone(mediaId);
    assertWritable(review);
    return review;
  }

  /** The thread a reply joins: an annotation on the same media that is not itself a reply. */
  private async threadRoot(tx: Transaction, parentId: string, mediaId: string): Promise<DocumentSnapshot> {
    const parent = await tx.get(this.store.ref(parentId));
    const issue = (message: string) => unprocessable(message, { field: 'parent_id', issue: message });
    if (!parent.exists || parent.get('media_id') !== mediaId) throw issue(`Annotation ${parentId} is not an annotation of media ${mediaId}`);
    if (parent.get('parent_id')) throw issue(`Annotation ${parentId} is a reply; reply to the first annotation of its thread, ${parent.get('parent_id')}`);
    if (parent.get('status') === 'archived') throw issue(`Annotation ${parentId} is archived; its thread takes no more replies`);
    if ((parent.get('reply_count') as number) >= MAX_REPLIES) throw issue(`Thread ${parentId} already has ${MAX_REPLIES} replies, the most a thread may have`);
    return parent;
  }

  /** The media's counters move in the same transaction as the annotations they count, by increments only (see `reviewContext`). */
  private countOnMedia(tx: Transaction, mediaId: string, caller: Caller, delta: { total: number; open: number }): void {
    tx.update(this.store.mediaRef(mediaId), {
      total_annotations: FieldValue.increment(delta.total),
      open_annotations: FieldValue.increment(delta.open),
      updated_by: caller.uid,
      updated_at: FieldValue.serverTimestamp(),
    });
  }

  private async reload(id: string): Promise<Versioned> {
    const snap = (await this.store.get(id))!;
    return { annotation: toAnnotation(snap), etag: etagOf(snap) };
  }
}

/**
 * Refuses changes when the media or its project no longer takes annotations. Checked just before
 * the transaction: a media archived in between gains at most the changes that were allowed a
 * moment before, as if they had come first.
 */
function assertWritable({ media, project }: ReviewContext): void {
  const mediaStatus = media.get('status');
  if (mediaStatus === 'archived') throw unprocessable(`Media ${media.id} is archived; its annotations are read-only`);
  if (mediaStatus === 'pending_upload') throw unprocessable(`Media ${media.id} is still uploading; annotate it once the upload completes`);
  requireOpenProject(project, 'its annotations are read-only');
}

function rejectIssues(issues: { field: string; issue: string }[]): void {
  if (issues.length === 0) return;
  throw unprocessable(issues.map((i) => `${i.field}: ${i.issue}`).join('; '), { ...issues[0], errors: issues });
}
