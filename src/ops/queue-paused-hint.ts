/**
 * What an operator reads when the rollout queue is paused (BullMQ `Queue.pause()`: workers finish the jobs they
 * hold and take no new one, so every pending pair waits). Shown by `status`, `rollout --wait`, `unregister --wait`,
 * `/api/progress` and the dashboard.
 */
export const QUEUE_PAUSED_HINT =
  'the queue is paused: no job runs until it is resumed with `imbot-rollout queue --resume` ' +
  '(or the Resume button of the queue board at /queues, when `serve` runs with ROLLOUT_QUEUE_BOARD_WRITE=1)';
