import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';

export type ChunkDestination = { file: string } | { stream: Writable };

/** The reader of a pipe went away (`export | head`): nothing more can be written, and nothing is wrong. */
function isReaderGone(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
}

/**
 * Writes to a stream honouring back-pressure. A write error arrives as an event: it stops the writing, and is
 * thrown, but for EPIPE (the reader closed the pipe: `export --format csv | head`), which ends the export
 * quietly, as `cat | head` does; later EPIPE events of the stream are ignored too.
 */
async function writeToStream(chunks: AsyncIterable<string>, stream: Writable): Promise<void> {
  let failure: Error | undefined;
  const onError = (error: Error) => {
    failure ??= error;
  };
  stream.on('error', onError);
  try {
    for await (const chunk of chunks) {
      if (failure) break;
      if (!stream.write(chunk)) await once(stream, 'drain').catch(onError);
    }
  } finally {
    // Keep listening once the reader is gone: writes already handed over fail later with the same EPIPE.
    if (!isReaderGone(failure)) stream.off('error', onError);
  }
  if (failure && !isReaderGone(failure)) throw failure;
}

/**
 * Writes the chunks to `file` atomically: into a temporary file next to it, flushed to disk, then renamed over
 * `file`, so a reader never sees half an export and a failed export leaves the old file as it was.
 */
async function writeFileAtomically(chunks: AsyncIterable<string>, file: string): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`);
  const handle = await open(temp, 'wx');
  try {
    for await (const chunk of chunks) await handle.write(chunk);
    await handle.sync();
    await handle.close();
    await rename(temp, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
}

/** Writes text chunks to a stream (honouring back-pressure) or, atomically, to a file. */
export async function writeChunks(
  chunks: AsyncIterable<string>,
  destination: ChunkDestination,
): Promise<void> {
  if ('file' in destination) await writeFileAtomically(chunks, destination.file);
  else await writeToStream(chunks, destination.stream);
}
