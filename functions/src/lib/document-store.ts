// What every store keyed by document id does the same way: the reference, and the snapshot or null.
import type { DocumentReference, DocumentSnapshot, Firestore } from 'firebase-admin/firestore';
import { step } from './timing.js';

export abstract class DocumentStore {
  constructor(
    protected readonly db: Firestore,
    private readonly collectionName: string,
  ) {}

  ref(id: string): DocumentReference {
    return this.db.collection(this.collectionName).doc(id);
  }

  /** A reference with a fresh id. */
  newRef(): DocumentReference {
    return this.db.collection(this.collectionName).doc();
  }

  async get(id: string): Promise<DocumentSnapshot | null> {
    const snap = await step('doc', () => this.ref(id).get());
    return snap.exists ? snap : null;
  }
}
