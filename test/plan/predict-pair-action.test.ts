import { describe, expect, it } from 'vitest';
import { changedFields } from '../../src/plan/changed-fields.js';
import { type PairPlanInput, predictPairAction } from '../../src/plan/predict-pair-action.js';
import type { PairResult } from '../../src/store/pair-result.js';
import { iframeApp, jsApp } from '../pipeline/support/pipeline-harness.js';

const OLD = jsApp('echo', '/help');
const NEW = jsApp('echo', '/start');

function stored(fields: Partial<PairResult>): PairResult {
  return {
    portal: 'a.example.com',
    code: 'echo',
    state: 'registered',
    desired: 'present',
    desiredDefHash: 'old',
    appliedDefHash: 'old',
    appId: 7,
    hashUsed: undefined,
    attempts: 1,
    recreate: false,
    rolloutId: 'r-1',
    lastError: null,
    nextAttemptAt: undefined,
    createdAt: 1,
    updatedAt: 1,
    ...fields,
  };
}

function input(fields: Partial<PairPlanInput>): PairPlanInput {
  return {
    result: stored({}),
    defHash: 'new',
    wanted: NEW,
    applied: OLD,
    blocked: undefined,
    checks: true,
    recreate: false,
    replace: false,
    ...fields,
  };
}

describe('what a rollout will do to one pair', () => {
  it.each([
    [
      'a pair never asked for is registered (adoption possible)',
      input({ result: undefined, applied: undefined }),
      { action: 'register', adoption: true },
    ],
    [
      'a pair holding no APP_ID is registered',
      input({ result: stored({ appId: null, appliedDefHash: undefined, state: 'failed' }) }),
      { action: 'register', adoption: true },
    ],
    [
      'a changed definition is an update naming the changed fields',
      input({}),
      { action: 'update', fields: ['JS_PARAM'] },
    ],
    [
      'an app registered but never updated is updated in full (fields unknown)',
      input({
        result: stored({ appliedDefHash: undefined, desiredDefHash: 'new', state: 'pending' }),
        applied: undefined,
      }),
      { action: 'update' },
    ],
    [
      'the same definition registered is unchanged',
      input({ defHash: 'old', wanted: OLD }),
      { action: 'unchanged' },
    ],
    [
      'the same definition registered is unchanged even on a parked portal',
      input({ defHash: 'old', wanted: OLD, blocked: 'needs_reauth' }),
      { action: 'unchanged' },
    ],
    [
      'a failed pair already holding this definition settles without a call',
      input({ defHash: 'old', wanted: OLD, result: stored({ state: 'failed' }) }),
      { action: 'unchanged' },
    ],
    [
      'a JS command turned IFRAME app is a recreate, refused without --recreate',
      input({ wanted: iframeApp('echo') }),
      { action: 'recreate', recreateReason: 'kind', refused: true },
    ],
    [
      'a JS command turned IFRAME app is a recreate with --recreate',
      input({ wanted: iframeApp('echo'), recreate: true }),
      { action: 'recreate', recreateReason: 'kind' },
    ],
    [
      'a parked portal blocks a change',
      input({ blocked: 'needs_reauth' }),
      { action: 'blocked', blocked: 'needs_reauth' },
    ],
    [
      'an uninstalled application blocks a register',
      input({ result: undefined, blocked: 'uninstalled' }),
      { action: 'blocked', blocked: 'uninstalled' },
    ],
    [
      'a removed portal blocks a change',
      input({ blocked: 'removed' }),
      { action: 'blocked', blocked: 'removed' },
    ],
    [
      'a missing bot CODE blocks a register',
      input({ result: undefined, blocked: 'no_bot' }),
      { action: 'blocked', blocked: 'no_bot' },
    ],
    [
      'a missing bot CODE leaves an unchanged pair unchanged',
      input({ defHash: 'old', wanted: OLD, blocked: 'no_bot' }),
      { action: 'unchanged' },
    ],
    [
      'a pair in flight towards another definition conflicts, naming the rollout',
      input({ result: stored({ state: 'pending', desiredDefHash: 'other', rolloutId: 'r-9' }) }),
      { action: 'conflict', rolloutId: 'r-9' },
    ],
    [
      '--replace takes over a pair in flight',
      input({ replace: true, result: stored({ state: 'pending', desiredDefHash: 'other' }) }),
      { action: 'update', fields: ['JS_PARAM'] },
    ],
    [
      'a pair in flight towards this very definition goes on',
      input({ result: stored({ state: 'pending', desiredDefHash: 'new' }) }),
      { action: 'update', fields: ['JS_PARAM'] },
    ],
    [
      'without apps (re-queue of stored pairs) nothing conflicts',
      input({ checks: false, result: stored({ state: 'pending', desiredDefHash: 'other' }) }),
      { action: 'update', fields: ['JS_PARAM'] },
    ],
  ] as const)('%s', (_name, given, expected) => {
    expect(predictPairAction(given)).toEqual(expected);
  });
});

describe('the fields an update changes', () => {
  it('names top-level keys and LANG entries by language, never values', () => {
    const before = iframeApp('panel');
    const after = {
      ...before,
      IFRAME: 'https://apps.example.com/v2.php',
      HIDDEN: 'Y' as const,
      LANG: [
        { LANGUAGE_ID: 'en', TITLE: 'New title' },
        { LANGUAGE_ID: 'de', TITLE: 'Neuer Titel' },
      ],
    };
    expect(changedFields(before, after)).toEqual(['HIDDEN', 'IFRAME', 'LANG[de]', 'LANG[en].TITLE']);
    expect(changedFields(before, before)).toEqual([]);
  });
});
