import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.js';
import { QUEUE_BOARD_CSP } from '../../src/api/routes/queue-board-routes.js';
import { loadConfig } from '../../src/config/load-config.js';
import { QUEUE_PAUSED_HINT } from '../../src/ops/queue-paused-hint.js';
import { type Harness, jsApp, startHarness } from '../pipeline/support/pipeline-harness.js';

const TOKEN = 'queue-board-token-0123456789';
const BEARER = { authorization: `Bearer ${TOKEN}` };

let harness: Harness | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  await harness?.close();
  harness = undefined;
});

/** Two portals, one app, no worker: two jobs wait in the queue. */
async function withWaitingJobs(queueBoardWrite?: boolean): Promise<{ h: Harness; api: FastifyInstance }> {
  const h = await startHarness({ portals: 2 });
  harness = h;
  await h.rollout([jsApp('echo')]);
  const api = await buildApi(h.runtime, {
    host: '127.0.0.1',
    token: TOKEN,
    ...(queueBoardWrite === undefined ? {} : { queueBoardWrite }),
  });
  app = api;
  return { h, api };
}

/** What the board could change: job ids, their data, counts by state, paused, global concurrency. */
async function queueSnapshot(h: Harness) {
  const { queue } = h.runtime;
  const jobs = await queue.getJobs(['waiting', 'paused', 'delayed', 'active', 'prioritized', 'failed']);
  return {
    jobs: jobs
      .map((j) => ({ id: j.id, name: j.name, data: j.data }))
      .sort((a, b) => String(a.id).localeCompare(String(b.id))),
    counts: await queue.getJobCounts(),
    paused: await queue.isPaused(),
    concurrency: await queue.getGlobalConcurrency(),
  };
}

describe('queue board (bull-board at /queues)', () => {
  it('is read-only by default: every action through /queues/api is refused and the queue is left as it was', async () => {
    const { h, api } = await withWaitingJobs();
    const before = await queueSnapshot(h);
    expect(before.jobs).toHaveLength(2);
    const jobId = encodeURIComponent(String(before.jobs[0]?.id));
    const q = '/queues/api/queues/rollout';
    const actions: [string, 'POST' | 'PUT' | 'PATCH' | 'DELETE', string, unknown?][] = [
      ['add a job', 'POST', `${q}/add`, { name: 'extra', data: { domain: 'x.example.com', code: 'echo' } }],
      ['edit job data', 'PATCH', `${q}/${jobId}/update-data`, { jobData: { domain: 'x', code: 'y' } }],
      ['empty the queue', 'PUT', `${q}/empty`],
      ['pause the queue', 'PUT', `${q}/pause`],
      ['pause every queue', 'PUT', '/queues/api/queues/pause'],
      ['resume the queue', 'PUT', `${q}/resume`],
      ['resume every queue', 'PUT', '/queues/api/queues/resume'],
      ['clean waiting jobs', 'PUT', `${q}/clean/waiting`],
      ['clean one job', 'PUT', `${q}/${jobId}/clean`],
      ['retry failed jobs', 'PUT', `${q}/retry/failed`],
      ['retry one job', 'PUT', `${q}/${jobId}/retry`],
      ['promote delayed jobs', 'PUT', `${q}/promote`],
      ['promote one job', 'PUT', `${q}/${jobId}/promote`],
      ['obliterate the queue', 'PUT', `${q}/obliterate`],
      ['set the global concurrency', 'PUT', `${q}/concurrency`, { concurrency: 1 }],
    ];
    for (const [what, method, url, payload] of actions) {
      const res = await api.inject({
        method,
        url,
        headers: { ...BEARER, 'content-type': 'application/json' },
        payload: JSON.stringify(payload ?? {}),
      });
      expect(res.statusCode, `${what}: ${res.body}`).toBe(405);
      expect(res.json(), what).toMatchObject({ error: 'read_only' });
      expect(res.json().message, what).toContain('ROLLOUT_QUEUE_BOARD_WRITE=1');
    }
    expect(await queueSnapshot(h)).toEqual(before);

    // bull-board itself is in read-only mode too (its UI shows no action buttons).
    const queues = await api.inject({ method: 'GET', url: '/queues/api/queues', headers: BEARER });
    expect(queues.statusCode).toBe(200);
    const board = (queues.json() as { queues: { name: string; readOnlyMode: boolean }[] }).queues;
    expect(board.map((b) => [b.name, b.readOnlyMode])).toEqual([['rollout', true]]);
    // Reading still works: one job's details.
    const job = await api.inject({ method: 'GET', url: `${q}/${jobId}`, headers: BEARER });
    expect(job.statusCode, job.body).toBe(200);
  });

  it('allows changes with queueBoardWrite (ROLLOUT_QUEUE_BOARD_WRITE=1); a pause shows in the API, dashboard and metrics', async () => {
    expect(loadConfig({}).api.queueBoardWrite).toBe(false);
    expect(loadConfig({ ROLLOUT_QUEUE_BOARD_WRITE: '1' }).api.queueBoardWrite).toBe(true);
    const { h, api } = await withWaitingJobs(true);
    const put = (url: string) =>
      api.inject({
        method: 'PUT',
        url,
        headers: { ...BEARER, 'content-type': 'application/json' },
        payload: '{}',
      });
    const progress = async () =>
      (await api.inject({ method: 'GET', url: '/api/progress', headers: BEARER })).json() as Record<
        string,
        unknown
      >;
    const dashboard = async () =>
      (await api.inject({ method: 'GET', url: '/', headers: { ...BEARER, accept: 'text/html' } })).body;
    const metrics = async () => (await api.inject({ method: 'GET', url: '/metrics', headers: BEARER })).body;

    expect(await progress()).toMatchObject({ queuePaused: false });
    expect((await progress())['queuePausedHint']).toBeUndefined();
    expect(await dashboard()).toMatch(/<div class="paused-banner" id="queue-paused" role="alert" hidden>/);
    expect(await metrics()).toContain('\nimbot_rollout_queue_paused 0\n');

    expect((await put('/queues/api/queues/rollout/pause')).statusCode).toBe(200);
    expect(await h.runtime.queue.isPaused()).toBe(true);
    expect(await progress()).toMatchObject({ queuePaused: true, queuePausedHint: QUEUE_PAUSED_HINT });
    const page = await dashboard();
    expect(page).toMatch(/<div class="paused-banner" id="queue-paused" role="alert"><b>Queue paused.<\/b>/);
    expect(page).toContain('imbot-rollout queue --resume');
    expect(await metrics()).toContain('\nimbot_rollout_queue_paused 1\n');

    expect((await put('/queues/api/queues/rollout/resume')).statusCode).toBe(200);
    expect(await h.runtime.queue.isPaused()).toBe(false);
    expect(await progress()).toMatchObject({ queuePaused: false });
  });

  it('serves its pages and API with a Content-Security-Policy and Cache-Control: no-store', async () => {
    const { api } = await withWaitingJobs();
    const page = await api.inject({
      method: 'GET',
      url: '/queues',
      headers: { ...BEARER, accept: 'text/html' },
    });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toBe(QUEUE_BOARD_CSP);
    expect(page.headers['cache-control']).toBe('no-store');
    for (const url of [
      '/queues/',
      '/queues/queue/rollout',
      '/queues/api/queues',
      '/queues/api/queues/rollout/1',
    ]) {
      const res = await api.inject({ method: 'GET', url, headers: BEARER });
      expect(res.headers['content-security-policy'], url).toBe(QUEUE_BOARD_CSP);
      expect(res.headers['cache-control'], url).toBe('no-store');
    }
    // Its hashed static files may be cached.
    const script = /src="(static\/js\/main\.[^"]+\.js)"/.exec(page.body)?.[1];
    expect(script).toBeDefined();
    const asset = await api.inject({ method: 'GET', url: `/queues/${script}`, headers: BEARER });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).not.toBe('no-store');
  });
});
