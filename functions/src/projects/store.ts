import type { DocumentSnapshot, Firestore } from 'firebase-admin/firestore';

export const PROJECTS = 'projects';

/** Firestore access for projects. */
export class ProjectStore {
  constructor(private readonly db: Firestore) {}

  ref(id: string) {
    return this.db.collection(PROJECTS).doc(id);
  }

  async get(id: string): Promise<DocumentSnapshot | null> {
    const snap = await this.ref(id).get();
    return snap.exists ? snap : null;
  }
}
