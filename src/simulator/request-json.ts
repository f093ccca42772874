import { type Agent, request } from 'node:http';

/** What came back: the status and the body parsed as JSON (null when it is not JSON). */
export interface JsonAnswer {
  status: number;
  body: unknown;
}

/** Answers above this are cut off and read as not JSON: the simulator's peers answer a few hundred bytes. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * One plain-HTTP request through `agent` (keep-alive), resolved with the status and the JSON body; rejects on a
 * transport failure or after `timeoutMs`. node:http rather than fetch: the application backend sends hundreds of
 * requests a second beside a whole rollout in one process, and node:http costs about half the CPU per request.
 */
export function requestJson(
  agent: Agent,
  url: string | URL,
  options: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string; timeoutMs: number },
): Promise<JsonAnswer> {
  return new Promise<JsonAnswer>((resolve, reject) => {
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.body !== undefined) headers['content-length'] = Buffer.byteLength(options.body);
    const req = request(url, { method: options.method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () => {
        let body: unknown = null;
        if (size <= MAX_ANSWER_BYTES) {
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            body = null;
          }
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.setTimeout(options.timeoutMs, () =>
      req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
