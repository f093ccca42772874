import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FlakyProxy {
  /** `http://127.0.0.1:<port>/` — send requests here instead of to the target. */
  url: string;
  /** Requests received (failed and forwarded). */
  requests(): number;
  close(): Promise<void>;
}

/**
 * A real HTTP server that answers the first `failures` requests with HTTP 500 `INTERNAL_SERVER_ERROR` (without
 * forwarding them) and forwards every later one, body and content type, to `targetUrl`.
 */
export async function startFlakyProxy(targetUrl: string, failures: number): Promise<FlakyProxy> {
  let received = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received++;
      if (received <= failures) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ error: 'INTERNAL_SERVER_ERROR', error_description: 'injected by the test' }),
        );
        return;
      }
      const headers: Record<string, string> = {};
      const type = req.headers['content-type'];
      if (type !== undefined) headers['content-type'] = type;
      fetch(targetUrl, { method: req.method ?? 'POST', headers, body: Buffer.concat(chunks) })
        .then(async (answer) => {
          res.writeHead(answer.status, {
            'content-type': answer.headers.get('content-type') ?? 'text/plain',
          });
          res.end(Buffer.from(await answer.arrayBuffer()));
        })
        .catch(() => {
          res.writeHead(502);
          res.end();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests: () => received,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
