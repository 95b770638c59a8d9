/** Health, readiness, metrics and the API's description: what operators and their tools read. */
import type { RouteGroup } from './app.js';
import type { Refusal } from './errors.js';
import type { ServeMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';

export interface OpsRoutesOptions {
  metrics: ServeMetrics;
  version: string;
  /** Why frames are not taken now, or null when they are. */
  notReady(): Refusal | null;
}

export function opsRoutes(opts: OpsRoutesOptions): RouteGroup {
  const document = openApiDocument(opts.version);
  return (app) => {
    app.get('/healthz', (c) => c.json({ status: 'ok' }));
    app.get('/readyz', (c) => {
      const refusal = opts.notReady();
      if (refusal) throw refusal;
      return c.json({ status: 'ready' });
    });
    app.get('/metrics', async (c) => {
      c.header('Content-Type', opts.metrics.registry.contentType);
      return c.body(await opts.metrics.registry.metrics());
    });
    app.get('/v1/openapi.json', (c) => c.json(document));
  };
}
