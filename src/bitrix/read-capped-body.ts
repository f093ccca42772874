/**
 * A response body up to `maxBytes`, as text: a larger one (declared, or read so far) is cancelled, never buffered
 * whole (`tooLarge`). Used by the REST client (send-http-request.ts) and the token-source client
 * (src/tokens/token-source-client.ts).
 */
export async function readCappedBody(
  response: Response,
  maxBytes: number,
): Promise<{ text: string; tooLarge: boolean }> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    return { text: '', tooLarge: true };
  }
  if (response.body === null) return { text: '', tooLarge: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return { text: '', tooLarge: true };
    }
    chunks.push(value);
  }
  return { text: Buffer.concat(chunks, total).toString('utf8'), tooLarge: false };
}
