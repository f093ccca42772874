import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { UnsafeBindError } from '../../src/api/build-api.js';
import { createBitrixError } from '../../src/bitrix/create-bitrix-error.js';
import { describeFailure } from '../../src/cli/describe-failure.js';
import {
  CommandFailedError,
  ConfigError,
  NothingMatchedError,
  OperatorError,
  UsageError,
} from '../../src/errors/operator-error.js';
import { InputError } from '../../src/input/input-error.js';
import { RedisUnavailableError } from '../../src/redis/redis-unavailable-error.js';
import { UnknownKeyIdsError } from '../../src/store/check-stored-key-ids.js';

describe('describeFailure (docs/operations.md, "Exit codes")', () => {
  it.each([
    [new UsageError('give either --all or --portal/--code, not both'), 2, 'USAGE'],
    [new ConfigError('invalid configuration:\n  - logLevel (LOG_LEVEL): bad'), 2, 'CONFIG_INVALID'],
    [new InputError('apps.json', [{ where: 'apps.json[0]', message: 'bad' }]), 2, 'INPUT_INVALID'],
    [new UnknownKeyIdsError('sealed with key k9', new Map([['k9', 1]])), 2, 'UNKNOWN_KEY_IDS'],
    [new UnsafeBindError('refusing to listen on 0.0.0.0 without ROLLOUT_API_TOKEN'), 2, 'UNSAFE_BIND'],
    [new RedisUnavailableError('redis://127.0.0.1:1', 'ECONNREFUSED'), 3, 'REDIS_UNAVAILABLE'],
    [new NothingMatchedError('no failed pair matches'), 1, 'NOTHING_MATCHED'],
    [new CommandFailedError('cannot write out.csv (EACCES)'), 1, 'COMMAND_FAILED'],
  ])('%s -> exit %i with its whole message', (error: OperatorError, exitCode, code) => {
    expect(error).toBeInstanceOf(OperatorError);
    expect(error.code).toBe(code);
    expect(error.exitCode).toBe(exitCode);
    expect(describeFailure(error)).toEqual({ line: error.message, exitCode });
  });

  it('keeps the cause', () => {
    const cause = new Error('listen EADDRINUSE');
    expect(new CommandFailedError('cannot listen on 127.0.0.1:1', { cause }).cause).toBe(cause);
  });

  it('prints nothing more for a CommanderError and keeps its exit code', () => {
    const error = new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'");
    expect(describeFailure(error)).toEqual({ line: undefined, exitCode: 1 });
  });

  it('gives a Bitrix24 error and any other error their first line and exit 1', () => {
    const bitrix = createBitrixError({
      code: 'ACCESS_DENIED',
      description: 'REST is available only on commercial plans',
      httpStatus: 403,
      method: 'imbot.app.register',
    });
    expect(describeFailure(bitrix)).toEqual({ line: bitrix.message, exitCode: 1 });
    expect(describeFailure(new Error('first\nsecond'))).toEqual({ line: 'first', exitCode: 1 });
    expect(describeFailure('text')).toEqual({ line: 'text', exitCode: 1 });
  });
});
