/**
 * Waits for every promise, all running at once, and fails as the first of them in the given order
 * that failed would have failed them in turn: checks run together, yet refuse as they would one by one.
 */
export async function allInOrder(promises: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const refused = results.find((r) => r.status === 'rejected');
  if (refused) throw refused.reason;
}
