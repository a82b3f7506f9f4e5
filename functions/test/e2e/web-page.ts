// The browser side of the end-to-end test: bundles the web page (web-page/app.js, the Firebase web
// SDK included) with esbuild, serves it on a free loopback port, and opens it in Debian's headless
// Chromium (/usr/bin/chromium, installed by scripts/ensure-chromium.sh) driven by playwright-core.
// No browser is ever downloaded and nothing is fetched from outside this machine.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/**
 * Without the background-networking flags Chromium keeps opening connections to Google's hosts,
 * which this machine's closed network refuses.
 */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const PAGE_DIR = fileURLToPath(new URL('./web-page/', import.meta.url));
const FUNCTIONS_DIR = path.resolve(fileURLToPath(new URL('../../', import.meta.url)));

/**
 * One copy of the Firebase SDK in the bundle: the page and the client package's helpers (which
 * resolve `firebase` from the workspace root) must share the app and Firestore instances.
 */
const oneFirebase: Plugin = {
  name: 'one-firebase',
  setup(build) {
    build.onResolve({ filter: /^firebase(\/.*)?$/ }, (args) =>
      args.resolveDir === FUNCTIONS_DIR ? undefined : build.resolve(args.path, { kind: args.kind, resolveDir: FUNCTIONS_DIR }),
    );
  },
};

/** The page's script with the Firebase web SDK in it, built for the browser. */
async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [path.join(PAGE_DIR, 'app.js')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
    plugins: [oneFirebase],
  });
  return result.outputFiles[0]!.text;
}

export interface WebPage {
  /** The page's address (fragment not included). */
  url: string;
  page: Page;
  /** Every URL the browser requested, in order. */
  requests: string[];
  /** The page's console messages and uncaught errors, to read when a test fails. */
  console: string[];
  close(): Promise<void>;
}

/** Bundles and serves the page, starts Chromium with a fresh profile, and opens a tab. */
export async function openWebPage(): Promise<WebPage> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-chromium.sh (npm test does)`);
  const [html, script] = await Promise.all([readFile(path.join(PAGE_DIR, 'index.html')), bundle()]);
  const server = createServer((req, res) => {
    const route = new URL(req.url ?? '/', 'http://page').pathname;
    if (route === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    else if (route === '/app.js') res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  const profile = await mkdtemp(path.join(tmpdir(), 'montu-chromium-'));
  let context: BrowserContext | undefined;
  const close = async () => {
    await context?.close().catch(() => {});
    await new Promise((resolve) => server.close(resolve));
    await rm(profile, { recursive: true, force: true });
  };
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    const page = context.pages()[0] ?? (await context.newPage());
    const requests: string[] = [];
    const console: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('console', (message) => console.push(`${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => console.push(`uncaught: ${error.message}`));
    return { url, page, requests, console, close };
  } catch (err) {
    await close();
    throw err;
  }
}
