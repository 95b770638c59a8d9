/**
 * The ingest benchmark's baseline: a minimal node:http server that writes each request's body
 * to its own file with writeFile and fsync, then answers 201. Run as
 * `node dist/bench/fsync-server.js DIR`; prints `listening on <port>`.
 */
import { open } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const dir = process.argv[2];
if (dir) {
  let n = 0;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const handle = await open(join(dir, `frame-${n++}.jpg`), 'w');
    try {
      await handle.writeFile(Buffer.concat(chunks));
      await handle.sync();
    } finally {
      await handle.close();
    }
    res.writeHead(201).end();
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`listening on ${(server.address() as AddressInfo).port}\n`));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
