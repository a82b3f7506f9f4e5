// What a web SDK listener receives from the server, in order: a summary of each snapshot (cached
// ones skipped, they say nothing about what the rules allow), or the code of the error that ended it.
import { onSnapshot, type Query, type QuerySnapshot } from 'firebase/firestore';

export interface ServerSnapshots {
  /** Waits for the first `count` snapshots or errors and returns them. */
  next(count: number): Promise<string[]>;
  stop(): void;
}

export function serverSnapshots(query: Query, summary: (snap: QuerySnapshot) => string): ServerSnapshots {
  const seen: string[] = [];
  const waiters: (() => void)[] = [];
  const record = (entry: string) => {
    seen.push(entry);
    waiters.splice(0).forEach((wake) => wake());
  };
  const stop = onSnapshot(
    query,
    { includeMetadataChanges: true },
    (snap) => {
      if (!snap.metadata.fromCache) record(summary(snap));
    },
    (err) => record((err as { code?: string }).code ?? 'error'),
  );
  const next = async (count: number) => {
    while (seen.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
    return seen.slice(0, count);
  };
  return { next, stop };
}
