// How a real-time channel opens for a client: 'ready', or the error code it was refused with.
import type { Firestore } from 'firebase/firestore';
import { subscribe } from '../../../client/src/realtime.js';

export function channelOutcome(db: Firestore, channel: string): Promise<string> {
  return new Promise<string>((resolve) => {
    const stop = subscribe(db, channel, {
      onDocuments: () => {},
      onMessage: () => {},
      onReady: () => {
        stop();
        resolve('ready');
      },
      onError: (err) => {
        stop();
        resolve((err as { code?: string }).code ?? err.message);
      },
    });
  });
}
