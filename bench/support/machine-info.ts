import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';

export interface MachineInfo {
  /** What `nproc` prints: the CPUs this process may use. */
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  redis: string;
  platform: string;
}

/** The machine a run came from: nproc, the CPU model from /proc/cpuinfo, memory, node and redis versions. */
export function machineInfo(redisVersion: string): MachineInfo {
  let cpuModel = 'unknown';
  try {
    const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpuModel;
  } catch {
    // not Linux: keep "unknown"
  }
  return {
    nproc: availableParallelism(),
    cpuModel,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    redis: redisVersion,
    platform: `${process.platform} ${process.arch}`,
  };
}
