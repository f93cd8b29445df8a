// `dev`: Vite serves the client source with hot module replacement, Fastify renders the pages from
// source. Same app, config and routes as production. What a saved file does to an open page:
//   a component (.svelte), or what components import    swapped in place; the store keeps its state
//   the store's code (reducer, effects), the API client  remounted on the live state (src/client/main.ts)
//   server code (src/server)                             the page reloads, its state carried over
// An error shows in the page (Vite's overlay, or the error page below) and once in the terminal;
// the page recovers by itself when the file is fixed.
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { relative } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
// Imported here only, so never in the server bundle; pinned in package.json (a devDependency).
import pretty from 'pino-pretty';
import { createLogger, createServer as createViteServer } from 'vite';
import { errorLine, errorPage } from './dev-errors.js';

const root = process.cwd();
/** Code only the server runs: a change reloads the open pages (any other change is a hot update). */
const SERVER_ONLY = /[\\/]src[\\/]server[\\/]/;
const DEPENDENCY = /[\\/]node_modules[\\/]/;

// Vite logs a failed compile with its code frame and stack: the page shows those, the terminal one
// line, once (the browser's module request and the server's render of the same file fail alike).
const logger = createLogger();
const viteError = logger.error;
let lastErrorLine = '';
/** @param {string} line */
function printError(line) {
  if (line !== lastErrorLine) viteError(line, { timestamp: true });
  lastErrorLine = line;
}
/** @type {import('vite').Logger['error']} */
const oneLineErrors = (message, options) => (options?.error ? printError(errorLine(options.error, root)) : viteError(message, options));
logger.error = oneLineErrors;
// The server's modules are only marked stale on a change (the app is rebuilt from them on the
// next request): Vite's "(ssr) page reload" line would announce a reload that never happens.
const viteInfo = logger.info;
/** @type {import('vite').Logger['info']} */
const withoutServerReloads = (message, options) => {
  const environment = stripVTControlCharacters(options?.environment ?? '');
  if (environment !== '(ssr)' || !message.includes('page reload')) viteInfo(message, options);
};
logger.info = withoutServerReloads;

const server = createServer();
// Hot updates over the same port, so the page's CSP (connect-src 'self') allows them.
const vite = await createViteServer({
  server: { middlewareMode: true, hmr: { server } },
  appType: 'custom',
  customLogger: logger,
});
// A compile error in a hot update goes to the browser only: print each error the browser is shown.
const clientHot = vite.environments.client.hot;
const sendToClient = clientHot.send.bind(clientHot);
/**
 * @param {import('vite').HotPayload | string} payload
 * @param {unknown[]} rest
 */
function sendAndPrintErrors(payload, ...rest) {
  if (typeof payload === 'object' && payload.type === 'error') printError(errorLine(payload.err, root));
  return sendToClient(/** @type {any} */ (payload), ...rest);
}
clientHot.send = /** @type {typeof clientHot.send} */ (sendAndPrintErrors);
const { DEV_ERROR_ELEMENT_ID, SOURCE_CHANGED_EVENT } = /** @type {import('../src/app/hydration.js')} */ (
  await vite.ssrLoadModule('/src/app/hydration.ts')
);
const { ConfigError, loadConfig } = /** @type {import('../src/server/config.js')} */ (await vite.ssrLoadModule('/src/server/config.ts'));

/** @param {() => import('../src/server/config.js').Config} load */
function configOrExit(load) {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`Invalid configuration: ${error.message}\n`);
    process.exit(1);
  }
}
// Read once for the listener; the app reads it again at each rebuild (config.ts may have changed).
const { host, port } = configOrExit(() => loadConfig(process.env, { dev: true }));

// Human-readable logs: one line per request, colours, no pid/hostname (production logs JSON).
const logStream = pretty({
  colorize: true,
  singleLine: true,
  translateTime: 'HH:MM:ss',
  ignore: 'pid,hostname,reqId,req,res,responseTime',
  messageFormat: '{msg}{if req.method} {req.method} {req.url}{end}{if res.statusCode} {res.statusCode}{end}',
});
const devErrors = {
  /** @param {Error} error */
  line: (error) => {
    vite.ssrFixStacktrace(error);
    return errorLine(error, root);
  },
  /** @param {Error} error */
  page: (error) => errorPage(error, root, DEV_ERROR_ELEMENT_ID),
};

/**
 * The app built from the current source, or why it cannot be built (shown until the next change).
 * @typedef { { app: import('fastify').FastifyInstance } | { error: Error } } Loaded
 * @type {Promise<Loaded> | null}
 */
let current = null;

/** @returns {Promise<Loaded>} */
async function loadApp() {
  try {
    const { loadConfig } = /** @type {import('../src/server/config.js')} */ (await vite.ssrLoadModule('/src/server/config.ts'));
    const { buildApp } = /** @type {import('../src/server/app.js')} */ (await vite.ssrLoadModule('/src/server/app.ts'));
    const app = await buildApp(loadConfig(process.env, { dev: true }), { dev: true, logStream, devErrors });
    await app.ready();
    return { app };
  } catch (caught) {
    const error = caught instanceof Error ? caught : new Error(String(caught));
    vite.ssrFixStacktrace(error);
    // Once per failure, not per request: the next request shows the same error page.
    printError(errorLine(error, root));
    return { error };
  }
}

/**
 * Any source file (src/, the shared package of a monorepo): the app is rebuilt from source on the
 * next request, so a page loaded after the change renders with it.
 * @param {string} file
 */
function sourceChanged(file) {
  if (DEPENDENCY.test(file)) return;
  const previous = current;
  current = null;
  lastErrorLine = '';
  void previous?.then((loaded) => ('app' in loaded ? loaded.app.close() : undefined));
  // The Svelte plugin and main.ts update the client; an error page reloads to try again.
  vite.ws.send({ type: 'custom', event: SOURCE_CHANGED_EVENT });
  if (SERVER_ONLY.test(file)) {
    viteInfo(`page reload ${relative(root, file)}`, { timestamp: true });
    vite.ws.send({ type: 'full-reload' });
  }
}
vite.watcher.on('change', sourceChanged);
// The watcher (chokidar) drops a change of a file within 50 ms of its previous change: a fix saved
// right after the overlay showed the error would never reach the page (nor the server). So each
// change is checked again once that window is over, and reported again if the file moved on since.
/** @param {string} file */
const fileVersion = (file) => stat(file).then((s) => `${s.ino} ${s.size} ${s.mtimeMs} ${s.ctimeMs}`, () => '');
/**
 * @param {string} file
 * @param {import('node:fs').Stats} [stats] the file as the watcher saw it
 */
async function recheckChange(file, stats) {
  if (DEPENDENCY.test(file)) return;
  const seen = stats ? `${stats.ino} ${stats.size} ${stats.mtimeMs} ${stats.ctimeMs}` : await fileVersion(file);
  setTimeout(async () => {
    if ((await fileVersion(file)) !== seen) vite.watcher.emit('change', file);
  }, 75);
}
vite.watcher.on('change', recheckChange);
vite.watcher.on('add', sourceChanged);
vite.watcher.on('unlink', sourceChanged);

server.on('request', (request, response) => {
  vite.middlewares(request, response, async () => {
    current ??= loadApp();
    const loaded = await current;
    if ('app' in loaded) return loaded.app.routing(request, response);
    response.writeHead(500, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // The dev CSP of src/server/plugins/helmet.ts: the app that sets it is what failed to load.
      'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'",
    });
    response.end(devErrors.page(loaded.error));
  });
});
server.listen(port, host, () => console.log(`dev server on http://${host}:${port}`));
