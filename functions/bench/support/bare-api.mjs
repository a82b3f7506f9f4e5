// The cold-start baseline: a bare firebase-functions + express + firebase-admin app answering the
// same JSON route as the API's /api/v1/health (one Firestore read, the same answer), built on
// first use as functions/src/index.ts builds the API.
import { onRequest } from 'firebase-functions/v2/https';

let app;
export const api = onRequest({ region: 'us-central1', cors: false }, async (req, res) => {
  app ??= Promise.all([import('express'), import('firebase-admin/app'), import('firebase-admin/firestore')]).then(([{ default: express }, { initializeApp }, { getFirestore }]) => {
    const db = getFirestore(initializeApp());
    const bare = express();
    bare.get('/api/v1/health', async (_req, reply) => {
      await db.collection('projects').limit(1).get();
      reply.json({ status: 'healthy', timestamp: new Date().toISOString() });
    });
    return bare;
  });
  (await app)(req, res);
});
