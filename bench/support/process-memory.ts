import { readFile } from 'node:fs/promises';

export interface ProcessMemory {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size since the process started (VmHWM), bytes. */
  peakRss: number;
}

function field(status: string, name: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match?.[1]) throw new Error(`/proc status has no ${name} line`);
  return Number(match[1]) * 1024;
}

/** RSS and peak RSS of a process from /proc/<pid>/status (Linux). */
export async function processMemory(pid: number): Promise<ProcessMemory> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return { rss: field(status, 'VmRSS'), peakRss: field(status, 'VmHWM') };
}
