// A small front end written as a studio's web app would be: the Firebase web SDK bundled for the
// browser, sign-in through Firebase Auth, and the spec's /ws/tasks/{project} channel through the
// project's own real-time helper (@montu/client's realtime.ts), whose listeners are web SDK
// `onSnapshot`s. The end-to-end test (served-stack.test.ts) bundles it with esbuild and drives it in
// headless Chromium against the served stack's emulators.
//
// The emulators' addresses come in the page's fragment: #projectId=demo-montu&auth=http://127.0.0.1:9099&firestore=127.0.0.1:8180
import { initializeApp } from 'firebase/app';
import { browserSessionPersistence, connectAuthEmulator, initializeAuth, signInWithEmailAndPassword } from 'firebase/auth';
import { connectFirestoreEmulator, doc, getDoc, getFirestore } from 'firebase/firestore';
import { subscribe } from '../../../../client/src/realtime.js';

const config = Object.fromEntries(new URLSearchParams(location.hash.slice(1)));
const app = initializeApp({ projectId: config.projectId, apiKey: config.apiKey ?? 'demo-api-key' });
// Email and password only: no popup/redirect resolver, so nothing loads from an auth domain.
const auth = initializeAuth(app, { persistence: browserSessionPersistence });
connectAuthEmulator(auth, config.auth, { disableWarnings: true });
const db = getFirestore(app);
const [firestoreHost, firestorePort] = config.firestore.split(':');
connectFirestoreEmulator(db, firestoreHost, Number(firestorePort));

const $ = (selector, root = document) => root.querySelector(selector);
const element = (tag, attributes = {}, text = '') => {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  el.textContent = text;
  return el;
};
const codeOf = (err) => err?.code ?? err?.message ?? String(err);

$('#sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const who = $('#who');
  try {
    const { user } = await signInWithEmailAndPassword(auth, String(form.get('email')), String(form.get('password')));
    who.dataset.uid = user.uid;
    who.textContent = `Signed in as ${user.email} (${user.uid})`;
    $('#open').hidden = false;
  } catch (err) {
    who.dataset.error = codeOf(err);
    who.textContent = `Sign-in failed: ${codeOf(err)}`;
  }
});

$('#open').addEventListener('submit', (event) => {
  event.preventDefault();
  const projectId = String(new FormData(event.target).get('project'));
  const panel = element('article', { 'data-project': projectId, 'data-read': 'loading', 'data-listen': 'connecting' });
  const title = element('h2', {}, projectId);
  const state = element('p', { class: 'state' }, 'connecting');
  const tasks = element('ul', { class: 'tasks' });
  const messages = element('ol', { class: 'messages' });
  panel.append(title, state, tasks, messages);
  $('#projects').append(panel);

  // The project's own document, for its name: a read the rules allow members only.
  getDoc(doc(db, 'projects', projectId)).then(
    (snap) => {
      panel.dataset.read = 'ok';
      title.textContent = `${snap.get('name')} (${projectId})`;
    },
    (err) => {
      panel.dataset.read = codeOf(err);
      title.textContent = `${projectId}: cannot read the project (${codeOf(err)})`;
    },
  );

  subscribe(db, `/ws/tasks/${projectId}`, {
    onReady: () => {
      panel.dataset.listen = 'live';
      state.textContent = 'live';
    },
    onError: (err) => {
      panel.dataset.listen = codeOf(err);
      state.textContent = `refused: ${codeOf(err)}`;
    },
    onDocuments: (records) => {
      tasks.replaceChildren(...records.map((t) => element('li', { 'data-task-id': t.id, 'data-status': String(t.status) }, `${t.id}: ${t.status}`)));
    },
    onMessage: (message) => {
      const { type, data } = message;
      const about = data.task_id ?? data.task?.id ?? (data.task_ids ?? []).join(',');
      messages.append(element('li', { 'data-type': type, 'data-task-id': about, 'data-user': data.user }, `${type} ${about} ${JSON.stringify(data.changes ?? {})} by ${data.user}`));
    },
  });
});
