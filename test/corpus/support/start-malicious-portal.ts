import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** How one fake portal answers every REST call. Each gets the request body as the client sent it. */
export type Misbehaviour = (res: ServerResponse, request: { body: string; req: IncomingMessage }) => void;

export interface MaliciousPortal {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The REST base of the fake portal `name` (a path prefix on this server). */
  restUrl(name: string): string;
  /** Requests received per portal name. */
  calls(name: string): number;
  close(): Promise<void>;
}

/**
 * A tiny HTTP server posing as many broken Bitrix24 portals at once: `/<name>/rest/<method>.json` is answered
 * by `portals[name]`. Every socket is tracked and destroyed on close, so drip-feeding answers do not outlive it.
 */
export async function startMaliciousPortal(portals: Record<string, Misbehaviour>): Promise<MaliciousPortal> {
  const sockets = new Set<Socket>();
  const counts = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const name = /^\/([^/]+)\/rest\//.exec(req.url ?? '')?.[1] ?? '';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      const behave = portals[name];
      if (!behave) {
        res.writeHead(404).end();
        return;
      }
      behave(res, { body: Buffer.concat(chunks).toString('utf8'), req });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    restUrl: (name) => `${url}/${name}/rest/`,
    calls: (name) => counts.get(name) ?? 0,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Writes `chunk` every `everyMs` until the client goes away (a portal that never finishes its answer). */
export function drip(res: ServerResponse, chunk: string, everyMs: number): void {
  const timer = setInterval(() => res.write(chunk), everyMs);
  res.on('close', () => clearInterval(timer));
}
