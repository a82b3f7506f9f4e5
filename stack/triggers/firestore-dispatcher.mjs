// Delivers Firestore stand-in changes to the Functions emulator's 2nd-gen Firestore triggers, the
// part of the official Firestore emulator that the stand-in lacks.
//
// The Functions emulator registers Firestore triggers only with a Firestore emulator running in
// its own process, so offline it lists them but nobody fires them. This dispatcher reads its trigger
// list (GET /backends, what the Emulator UI reads), matches each committed change against them and
// posts a CloudEvent per match to the route the official emulator calls back
// (/functions/projects/{project}/triggers/{key}).
//
// Each trigger gets its events one at a time, in commit order: every concurrent call would be
// another worker process in the emulator, and a feed then reads in the order things happened.
// With maxInFlightPerTrigger > 1, different documents go side by side, each still in commit order.
// Delivery is at least once: an event the emulator did not take (not reachable, reloading its
// functions, no answer) is sent again with the same id. A handler that throws is logged and not
// retried, as with the official emulators.
import { randomUUID } from 'node:crypto';
import { eventKind, toCloudEvent, triggerMatches } from './firestore-events.mjs';

const TABLE_TTL_MS = 1000;
const RETRY_BASE_MS = 250;
const RETRY_CAP_MS = 5000;
const MAX_ATTEMPTS = 12; // about 45 s of backoff: covers a reload, not a dead emulator
const START_MARGIN_MS = 30_000; // a cold worker loads the functions before the handler starts

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const backoff = (attempt) => Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** (attempt - 1));
const shortName = (trigger) => trigger.entryPoint ?? trigger.name ?? trigger.id;

/**
 * Starts delivering the changes `subscribe` reports (a stand-in's onDocumentChange) to the
 * Functions emulator at `functionsUrl` for project `projectId`. Changes are taken from now on;
 * matching waits for `ready` (the emulator has loaded its functions).
 */
export function startFirestoreTriggers({ functionsUrl, projectId, subscribe, ready = Promise.resolve(), maxInFlightPerTrigger = 1, log = console }) {
  const base = functionsUrl.replace(/\/$/, '');
  const stats = { delivered: 0, failed: 0, dropped: 0 };
  let stopped = false;

  // ---- the trigger table: the emulator's Firestore triggers and the key it files them under ----
  let triggers = [];
  let fetchedAt = 0;
  let loading;
  // Keys are `${id}-${generation}`; the generation moves when the hub re-enables triggers.
  let generation = 0;
  const warned = new Set();

  async function fetchTriggers() {
    const res = await fetch(`${base}/backends`, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`GET /backends answered ${res.status}`);
    const { backends = [] } = await res.json();
    const all = backends.flatMap((backend) => backend.functionTriggers ?? []);
    for (const t of all) {
      const type = t.eventTrigger?.eventType ?? '';
      if (type.includes('cloud.firestore') && !(t.platform === 'gcfv2' && eventKind(type)) && !warned.has(t.id)) {
        warned.add(t.id);
        log.warn(`[triggers] ${shortName(t)}: only 2nd-gen Firestore triggers are delivered offline (${type})`);
      }
    }
    return all.filter((t) => t.platform === 'gcfv2' && eventKind(t.eventTrigger?.eventType));
  }

  /** The current Firestore triggers; re-read at most once a second, and whenever `fresh`. */
  async function table({ fresh = false } = {}) {
    if (!fresh && Date.now() - fetchedAt < TABLE_TTL_MS) return triggers;
    loading ??= fetchTriggers()
      .then((list) => {
        triggers = list;
        fetchedAt = Date.now();
        return list;
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  }

  /** A 404 lists the keys the emulator knows ("... valid functions are: a, b-1"): take the generation from them. */
  function learnGeneration(body) {
    const known = new Set(triggers.map((t) => t.id));
    const valid = body.split('valid functions are:')[1] ?? '';
    for (const key of valid.split(/[\s,]+/)) {
      const m = /^(.+)-(\d+)$/.exec(key);
      if (m && known.has(m[1])) generation = Number(m[2]);
    }
  }

  // ---- delivery ----
  async function post(trigger, event) {
    const url = `${base}/functions/projects/${projectId}/triggers/${trigger.id}-${generation}`;
    const timeout = (trigger.timeoutSeconds ?? 60) * 1000 + START_MARGIN_MS;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(timeout),
      });
      return { status: res.status, text: await res.text() };
    } catch (err) {
      return { status: 0, text: err?.cause?.code ?? err?.name ?? String(err) };
    }
  }

  async function deliver({ trigger, event }) {
    const what = `${shortName(trigger)} (${event.type.split('.').slice(-1)[0]} ${event.document}, event ${event.id})`;
    for (let attempt = 1; ; attempt++) {
      const { status, text } = await post(trigger, event);
      if (status === 200) {
        stats.delivered++;
        return;
      }
      if (status === 204) {
        // Triggers are switched off through the emulator hub (rules-unit-testing does this).
        stats.dropped++;
        return;
      }
      if (status === 500) {
        stats.failed++;
        log.error(`[triggers] ${what} failed: ${text.trim().split('\n')[0] || 'error'}`);
        return;
      }
      if (status === 404) {
        learnGeneration(text);
        const current = await table({ fresh: true }).catch(() => triggers);
        if (!current.some((t) => t.id === trigger.id)) {
          stats.dropped++;
          log.warn(`[triggers] ${what} not delivered: the function is gone`);
          return;
        }
      }
      if (attempt >= MAX_ATTEMPTS || stopped) {
        stats.dropped++;
        log.error(`[triggers] ${what} not delivered after ${attempt} attempts (last: ${status || text})`);
        return;
      }
      await sleep(backoff(attempt));
    }
  }

  // ---- ordering: per trigger, a queue in commit order; the earliest event whose document has no
  // call in flight goes next, up to maxInFlightPerTrigger calls at a time ----
  const queues = new Map(); // trigger id -> { items: [{ trigger, event, document }], busy: Set<document>, active }
  const idleWaiters = new Set();

  function enqueue(trigger, event, document) {
    let queue = queues.get(trigger.id);
    if (!queue) {
      queue = { items: [], busy: new Set(), active: 0 };
      queues.set(trigger.id, queue);
    }
    queue.items.push({ trigger, event, document });
    startNext(trigger.id, queue);
  }

  function startNext(triggerId, queue) {
    while (queue.active < maxInFlightPerTrigger) {
      const i = queue.items.findIndex((item) => !queue.busy.has(item.document));
      if (i < 0) return;
      const [item] = queue.items.splice(i, 1);
      queue.active++;
      queue.busy.add(item.document);
      deliver(item)
        .catch((err) => log.error('[triggers] delivery failed unexpectedly:', err))
        .finally(() => {
          queue.active--;
          queue.busy.delete(item.document);
          if (!queue.items.length && !queue.active) queues.delete(triggerId);
          else startNext(triggerId, queue);
          settleIfIdle();
        });
    }
  }

  // ---- intake: changes are matched in commit order, after the table is known ----
  const pending = [];
  let pumping = false;

  async function pump() {
    if (pumping) return;
    pumping = true;
    try {
      await Promise.resolve(ready).catch(() => undefined);
      while (pending.length && !stopped) {
        let list;
        for (let attempt = 1; !list && !stopped; attempt++) {
          try {
            list = await table();
          } catch (err) {
            if (attempt === 1) log.warn(`[triggers] the Functions emulator is not answering (${err.message}); events wait`);
            await sleep(backoff(Math.min(attempt, 6)));
          }
        }
        const change = pending.shift();
        if (!list || change.projectId !== projectId) continue;
        const matching = list.filter((t) => triggerMatches(t, change));
        // One id per change: what handlers derive from it stays the same on a redelivery.
        const id = randomUUID();
        for (const trigger of matching) enqueue(trigger, toCloudEvent(change, { id, type: trigger.eventTrigger.eventType }), change.name);
      }
    } finally {
      pumping = false;
      settleIfIdle();
    }
  }

  function settleIfIdle() {
    if (pending.length || pumping || queues.size) return;
    for (const resolve of idleWaiters) resolve();
    idleWaiters.clear();
  }

  const unsubscribe = subscribe((change) => {
    if (stopped) return;
    pending.push(change);
    void pump();
  });

  return {
    /** Resolves once every change so far has been delivered, failed or dropped. */
    idle: () =>
      new Promise((resolve) => {
        idleWaiters.add(resolve);
        settleIfIdle();
      }),
    stats: () => ({ ...stats }),
    stop() {
      stopped = true;
      unsubscribe();
    },
  };
}
