import { type AddressInfo, connect, createServer, type Socket } from 'node:net';

export interface ReplyDroppingProxy {
  /** redis:// URL of the proxy, same server and database as the target. */
  url: string;
  /** Commands seen (on any connection) whose bytes contain the marker. */
  marked(): number;
  /** Whether the one reply has been dropped yet. */
  dropped(): boolean;
  close(): Promise<void>;
}

/**
 * A TCP pass-through to Redis that loses ONE reply the way a network failure does: the first command holding
 * `marker` (e.g. a lock's key) is forwarded and executed by Redis, but instead of forwarding Redis's answer the
 * proxy closes the client's connection. ioredis then reconnects (through the proxy again) and re-sends the
 * command it never got an answer to (`autoResendUnfulfilledCommands`, on by default): Redis runs it a second
 * time. An error answer (`-NOSCRIPT` and the like) is forwarded, so the dropped answer is one of a command that
 * took effect. Send one command at a time around the marked one: the answer dropped is the next bytes Redis sends.
 *
 * With `answered: n` the marked bytes are a pipeline: the first n answers to it are forwarded, then the connection
 * is closed. ioredis, having part of a pipeline answered, aborts the unanswered rest ("Command aborted due to
 * connection close") instead of re-sending it.
 */
export async function startReplyDroppingProxy(
  redisUrl: string,
  marker: string,
  options: { answered?: number } = {},
): Promise<ReplyDroppingProxy> {
  const answered = options.answered ?? 0;
  const target = new URL(redisUrl);
  const sockets = new Set<Socket>();
  let marked = 0;
  let dropped = false;
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    let armed = false;
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (chunk: Buffer) => {
      if (chunk.includes(marker)) {
        marked++;
        if (!dropped) armed = true;
      }
      upstream.write(chunk);
    });
    let held = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      if (armed && answered > 0) {
        held = Buffer.concat([held, chunk]);
        let through = 0;
        for (let n = 0; n < answered && through !== -1; n++) through = replyEnd(held, through);
        if (through === -1) return; // not all n answers yet
        armed = false;
        dropped = true;
        client.write(held.subarray(0, through), () => end());
        return;
      }
      if (armed && chunk[0] !== 0x2d /* '-' */) {
        armed = false;
        dropped = true;
        end();
        return;
      }
      armed = false;
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(redisUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as AddressInfo).port);
  return {
    url: url.toString(),
    marked: () => marked,
    dropped: () => dropped,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Where the RESP reply starting at `at` ends (the index after it), or -1 while it is incomplete. */
function replyEnd(buffer: Buffer, at: number): number {
  const lineEnd = buffer.indexOf('\r\n', at);
  if (lineEnd === -1) return -1;
  const header = Number(buffer.toString('latin1', at + 1, lineEnd));
  if (buffer[at] === 0x24 /* '$' bulk string */) {
    if (header < 0) return lineEnd + 2;
    const end = lineEnd + 2 + header + 2;
    return end <= buffer.length ? end : -1;
  }
  if (buffer[at] === 0x2a /* '*' array */) {
    let position = lineEnd + 2;
    for (let i = 0; i < header && position !== -1; i++) position = replyEnd(buffer, position);
    return position;
  }
  return lineEnd + 2; // '+' simple string, '-' error, ':' integer
}
