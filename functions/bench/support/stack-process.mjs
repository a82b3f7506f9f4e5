// The emulators of one benchmark (or of one `npm run bench` run), in a process of their own: Auth
// and the official Firestore emulator through `firebase emulators:start`, Storage in this process
// (stack/emulators.mjs). Started by support/stack.mjs with fork(); it sends the emulators' hosts
// once they answer, or { error }, and stops them when its parent disconnects (or dies).
import { freePorts, startEmulators } from '../../../stack/emulators.mjs';

const [output] = process.argv.slice(2);
let stack;
process.on('disconnect', async () => {
  await stack?.stop();
  process.exit(0);
});
// The in-process Storage emulator serves the benchmarks' requests on this event loop: a failed
// request is logged, never the end of the stack.
process.on('unhandledRejection', (err) => console.error('[bench stack] a Storage emulator request failed:', err));
try {
  stack = await startEmulators({ only: ['auth', 'firestore'], ports: await freePorts(), output });
  const { java, firestore } = stack.prerequisites;
  process.send({ env: stack.env, ports: stack.ports, firestore: `official Cloud Firestore emulator (Java ${java.major}; ${firestore.source})` });
} catch (err) {
  process.send({ error: err.message });
  process.exit(1);
}
