// Production entry: validate the environment, build the app, listen, shut down cleanly.
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { listenForMetrics } from './metrics-server.js';

/** Fly's proxy, or any client, may still send on open connections for this long after SIGTERM. */
const DRAIN_WINDOW_MS = 5_000;
/** The hard stop, well inside fly.toml's kill_timeout (30 s) so Fly never has to SIGKILL. */
const SHUTDOWN_TIMEOUT_MS = 15_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`Invalid configuration: ${error.message}\n`);
    process.exit(1);
  }

  const app = await buildApp(config);
  const metricsServer = await listenForMetrics(app.metrics.registry, { host: config.host, port: config.metricsPort });
  // Closed with the app, after the drain: a Machine that is stopping can still be scraped.
  app.addHook('onClose', async () => {
    metricsServer.closeAllConnections();
    await new Promise((resolve) => metricsServer.close(resolve));
  });

  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    const started = Date.now();
    app.log.info({ signal }, 'shutting down: listener closed, draining open connections');
    // fly.toml sets kill_signal = SIGTERM; Ctrl-C in a terminal sends SIGINT.
    const timer = setTimeout(() => {
      app.log.error('shutdown took too long, exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    app.drain(DRAIN_WINDOW_MS).then(
      () => {
        app.log.info({ ms: Date.now() - started }, 'shut down cleanly');
        process.exit(0);
      },
      (error: unknown) => {
        app.log.error({ err: error }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  await app.listen({ port: config.port, host: config.host });
}

main().catch((error: unknown) => {
  process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
