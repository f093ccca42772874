import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/input/input-error.js';

describe('InputError', () => {
  it('summarises all problems in its message, paths relative to the file', () => {
    const error = new InputError('apps.json', [
      {
        where: 'apps.json[2].IFRAME',
        message: 'must start with https:// (the spec requires an active HTTPS certificate)',
      },
      { where: 'apps.json[2].LANG[0].TITLE', message: 'must not be empty' },
      { where: 'apps.json', message: 'must contain at least one chat-app definition' },
    ]);
    expect(error.name).toBe('InputError');
    expect(error).toBeInstanceOf(Error);
    expect(error.file).toBe('apps.json');
    expect(error.problems).toHaveLength(3);
    expect(error.message).toBe(
      [
        'apps.json: 3 problems, nothing was queued',
        '  - [2].IFRAME: must start with https:// (the spec requires an active HTTPS certificate)',
        '  - [2].LANG[0].TITLE: must not be empty',
        '  - must contain at least one chat-app definition',
      ].join('\n'),
    );
  });

  it('says "1 problem" in the singular and keeps the cause', () => {
    const cause = new Error('inner');
    const error = new InputError('portals.json', [{ where: 'portals.json.x', message: 'bad' }], { cause });
    expect(error.message).toBe('portals.json: 1 problem, nothing was queued\n  - x: bad');
    expect(error.cause).toBe(cause);
  });

  it('keeps a where that does not start with the file label as it is', () => {
    const error = new InputError('a.json', [{ where: 'b.json[0]', message: 'm' }]);
    expect(error.message.split('\n')[1]).toBe('  - b.json[0]: m');
  });
});
