import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors/operator-error.js';
import { splitWaves, waveOrder } from '../../src/waves/split-waves.js';

const domains = (n: number) => Array.from({ length: n }, (_, i) => `p${i + 1}.example.com`);

describe('splitting portals into waves', () => {
  it.each([
    // portals, percents, wave sizes
    [1000, [1, 10, 100], [10, 90, 900]],
    [100, [1, 10, 100], [1, 9, 90]],
    [10, [1, 10, 100], [1, 1, 8]], // 1% of 10 rounds up to 1; 10% is 1, so wave 2 takes one more
    [3, [1, 10, 100], [1, 1, 1]], // every wave gets one portal
    [7, [50, 100], [4, 3]], // ceil(3.5) = 4
    [5, [100], [5]],
    [20, [20, 60, 100], [4, 8, 8]],
    [10, [99, 100], [9, 1]], // ceil(9.9) = 10 leaves nothing for the last wave: it keeps one
    [3, [33.3, 66.6, 100], [1, 1, 1]],
  ])('%i portals at %j -> waves of %j', (n, percents, sizes) => {
    const waves = splitWaves(domains(n), percents);
    expect(waves.map((w) => w.length)).toEqual(sizes);
    // Every portal in exactly one wave.
    expect(waves.flat().sort()).toEqual(domains(n).sort());
  });

  it('gives the same waves for the same portals in any order', () => {
    const list = domains(50);
    const shuffled = [...list].reverse();
    expect(splitWaves(shuffled, [10, 50, 100])).toEqual(splitWaves(list, [10, 50, 100]));
    expect(waveOrder(list)).toEqual(waveOrder(shuffled));
    // Not the file order: the first wave is a spread sample.
    expect(waveOrder(list)).not.toEqual(list);
  });

  it('counts a duplicated domain once', () => {
    expect(splitWaves(['a.example.com', 'a.example.com', 'b.example.com'], [50, 100]).flat()).toHaveLength(2);
  });

  it('refuses fewer portals than waves, naming --waves', () => {
    expect(() => splitWaves(domains(2), [1, 10, 100])).toThrow(UsageError);
    expect(() => splitWaves(domains(2), [1, 10, 100])).toThrow(
      '--waves: 3 waves need at least 3 portals, the portals file has 2: give fewer waves',
    );
  });
});
