/** The `time` block of every Bitrix24 answer (docs/bitrix24.md, "Who is calling"). */
export interface BitrixTime {
  start: number;
  finish: number;
  duration: number;
  processing: number;
  date_start: string;
  date_finish: string;
  operating: number;
  operating_reset_at: number;
}

function bitrixDate(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}+00:00`;
}

/** `start`/`finish` are unix seconds with fractions; `operating_reset_at` is unix seconds. */
export function bitrixTime(
  startMs: number,
  finishMs: number,
  operatingResetAt: number,
  operating = 0,
): BitrixTime {
  const duration = Math.max(0, finishMs - startMs) / 1000;
  return {
    start: startMs / 1000,
    finish: finishMs / 1000,
    duration,
    processing: duration,
    date_start: bitrixDate(startMs),
    date_finish: bitrixDate(finishMs),
    operating,
    operating_reset_at: operatingResetAt,
  };
}
