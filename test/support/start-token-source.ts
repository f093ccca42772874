import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Own } from './own-resources.js';

/** One request the token source got. */
export interface SourceRequest {
  /** The request's path and query, as sent. */
  url: string;
  domain: string | null;
  forceRefresh: string | null;
  stale: string | null;
  authorization: string | undefined;
  accept: string | undefined;
}

/**
 * What the source answers: a status with a JSON body (an object is serialised, a string is sent as it is),
 * `hang` (never answers until closed), or `huge` (a 200 of `bytes` bytes, written in chunks as the client reads).
 */
export type SourceReply = { status: number; body?: unknown } | { hang: true } | { huge: number };

export interface TokenSourceServer {
  /** `http://127.0.0.1:<port>/b24/tokens` */
  url: string;
  requests: SourceRequest[];
  /** Answers to the huge replies: how many bytes were written before the client went away, and if all were. */
  huge: { written: number; finished: boolean; closed: boolean }[];
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? {});
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * A small real HTTP token source (docs/tokens.md, "The token contract") for the client's tests: every request
 * is recorded, `reply` decides the answer. Owned: closed after the test.
 */
export async function startTokenSource(
  own: Own,
  reply: (request: SourceRequest) => SourceReply | Promise<SourceReply>,
): Promise<TokenSourceServer> {
  const requests: SourceRequest[] = [];
  const huge: TokenSourceServer['huge'] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://source.test');
    const request: SourceRequest = {
      url: req.url ?? '',
      domain: url.searchParams.get('domain'),
      forceRefresh: url.searchParams.get('force_refresh'),
      stale: url.searchParams.get('stale'),
      authorization: req.headers.authorization,
      accept: req.headers.accept,
    };
    requests.push(request);
    void Promise.resolve(reply(request)).then((answer) => {
      if ('hang' in answer) return;
      if ('status' in answer) {
        send(res, answer.status, answer.body);
        return;
      }
      const record = { written: 0, finished: false, closed: false };
      huge.push(record);
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      res.on('close', () => {
        record.closed = true;
      });
      const pump = () => {
        while (record.written < answer.huge && !res.destroyed) {
          record.written += chunk.byteLength;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        if (!res.destroyed) {
          res.end(() => {
            record.finished = true;
          });
        }
      };
      pump();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const source: TokenSourceServer = {
    url: `http://127.0.0.1:${port}/b24/tokens`,
    requests,
    huge,
    close: async () => {
      if (!server.listening) return;
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
  return own(`token-source:${port}`, source, (s) => s.close());
}
