/**
 * The HTTP app of `vigil serve` (hono): one app that route groups mount themselves on, so that
 * other parts (the customer portal) add theirs without touching these. API routes live under
 * /v1/. Every refusal is a JSON ApiError body (specs/api-error.schema.json).
 */
import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import { Refusal } from './errors.js';

/** What handlers see: the node request (for the socket and the raw body) and the camera a token named. */
export type ServeEnv = { Bindings: HttpBindings; Variables: { device: string } };

export type ServeApp = Hono<ServeEnv>;

/** Adds a group of routes (and their middleware) to the app. */
export type RouteGroup = (app: ServeApp) => void;

/** The app with every group mounted, in order. `report` hears of errors that are no Refusal (answered 500). */
export function createApp(groups: RouteGroup[], report: (e: unknown) => void): ServeApp {
  const app: ServeApp = new Hono<ServeEnv>();
  app.onError((e, c) => {
    const refusal = e instanceof Refusal ? e : internal(e, report);
    for (const [name, value] of Object.entries(refusal.headers)) c.header(name, value);
    return c.json(refusal.body(), refusal.status as 400);
  });
  app.notFound((c) => c.json(new Refusal('not_found', `no such route: ${c.req.method} ${c.req.path}`).body(), 404));
  for (const group of groups) group(app);
  return app;
}

function internal(e: unknown, report: (e: unknown) => void): Refusal {
  report(e);
  return new Refusal('internal', 'the server could not store the frame; nothing was acknowledged: send it again');
}
