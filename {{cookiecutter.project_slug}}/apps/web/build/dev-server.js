// `dev`: Vite serves the client source with hot reload, Fastify renders the pages from
// source (reloaded on change). Same app, config and routes as production.
import { createServer } from 'node:http';
import { createServer as createViteServer } from 'vite';

const server = createServer();
// Live reload over the same port, so the page's CSP (connect-src 'self') allows it.
const vite = await createViteServer({ server: { middlewareMode: true, hmr: { server } }, appType: 'custom' });

/** @type {Promise<import('fastify').FastifyInstance> | null} */
let current = null;

async function loadApp() {
  const { loadConfig } = await vite.ssrLoadModule('/src/server/config.ts');
  const { buildApp } = await vite.ssrLoadModule('/src/server/app.ts');
  // Vite serves the client source: the page loads /src/client/main.ts with live reload.
  const app = await buildApp(loadConfig(process.env), { dev: true });
  await app.ready();
  return app;
}

// Server code changed: rebuild the app on the next request and reload open pages.
vite.watcher.on('change', (file) => {
  if (!/[\\/]src[\\/](server|app|shared)[\\/]/.test(file)) return;
  const previous = current;
  current = null;
  void previous?.then((app) => app.close());
  vite.ws.send({ type: 'full-reload' });
});

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
server.on('request', (request, response) => {
  vite.middlewares(request, response, async () => {
    try {
      current ??= loadApp();
      (await current).routing(request, response);
    } catch (error) {
      current = null;
      vite.ssrFixStacktrace(/** @type {Error} */ (error));
      console.error(error);
      response.statusCode = 500;
      response.end('dev server: the app failed to load, see the terminal');
    }
  });
});
server.listen(port, host, () => console.log(`dev server on http://${host}:${port}`));
