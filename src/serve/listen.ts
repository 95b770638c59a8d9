/** Serves an app over HTTP or, given a certificate and key, HTTPS; stops taking connections on close. */
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Server } from 'node:http';
import type { ServeApp } from './app.js';

export interface ListenOptions {
  host: string;
  /** 0: any free port. */
  port: number;
  tls?: { cert: Buffer; key: Buffer };
}

export interface Listening {
  url: string;
  /** Stops taking connections, lets the requests in flight finish, and closes idle connections. */
  close(): Promise<void>;
}

export async function listen(app: ServeApp | { fetch: ServeApp['fetch'] }, opts: ListenOptions): Promise<Listening> {
  const server = (
    opts.tls
      ? createAdaptorServer({
          fetch: app.fetch,
          createServer: createHttpsServer,
          serverOptions: { cert: opts.tls.cert, key: opts.tls.key },
        })
      : createAdaptorServer({ fetch: app.fetch })
  ) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `${opts.tls ? 'https' : 'http'}://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
