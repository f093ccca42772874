import { describe, expect, it } from 'vitest';
import { classifyTransportFailure } from '../../src/bitrix/classify-transport-failure.js';

function fetchFailed(cause: unknown): TypeError {
  return new TypeError('fetch failed', { cause });
}

function systemError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyTransportFailure', () => {
  it.each([
    'ECONNREFUSED',
    'ENOTFOUND',
    'EAI_AGAIN',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'UND_ERR_CONNECT_TIMEOUT',
    'CERT_HAS_EXPIRED',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'ERR_TLS_CERT_ALTNAME_INVALID',
  ])('reads undici "fetch failed" caused by %s as NETWORK_ERROR (nothing was sent)', (code) => {
    const result = classifyTransportFailure(fetchFailed(systemError(code, `connect ${code}`)), false);
    expect(result).toEqual({ code: 'NETWORK_ERROR', detail: `connect ${code}` });
  });

  it('looks inside an AggregateError (several addresses tried)', () => {
    const aggregate = new AggregateError(
      [
        systemError('ECONNREFUSED', 'connect ECONNREFUSED ::1:1'),
        systemError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'),
      ],
      '',
    );
    expect(classifyTransportFailure(fetchFailed(aggregate), false).code).toBe('NETWORK_ERROR');
  });

  it.each([
    ['UND_ERR_SOCKET', 'other side closed'],
    ['ECONNRESET', 'read ECONNRESET'],
    ['EPIPE', 'write EPIPE'],
  ])('reads a socket closed with %s as CONNECTION_RESET (may have been processed)', (code, message) => {
    expect(classifyTransportFailure(fetchFailed(systemError(code, message)), false)).toEqual({
      code: 'CONNECTION_RESET',
      detail: message,
    });
  });

  it('reads an unknown failure as CONNECTION_RESET, never as "nothing was sent"', () => {
    expect(classifyTransportFailure(new TypeError('terminated'), false).code).toBe('CONNECTION_RESET');
    expect(classifyTransportFailure('weird', false)).toEqual({ code: 'CONNECTION_RESET', detail: 'weird' });
  });

  it('reads our own timeout as TIMEOUT whatever the error looks like', () => {
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(classifyTransportFailure(timeout, true).code).toBe('TIMEOUT');
    expect(classifyTransportFailure(fetchFailed(systemError('ECONNREFUSED', 'x')), true).code).toBe(
      'TIMEOUT',
    );
  });

  it('survives a cause cycle', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(classifyTransportFailure(a, false).code).toBe('CONNECTION_RESET');
  });
});
