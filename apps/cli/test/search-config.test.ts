import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flagOverrides, prepareSearch } from '../src/search-config.js';

describe('search flags → config', () => {
  it('--alpha-init sets both layer kinds from one value, or convs and linear layers from two', () => {
    expect(flagOverrides({ alphaInit: '2' }).alphaInit).toEqual({ conv: 2, linear: 2 });
    expect(flagOverrides({ alphaInit: '1.5, 4' }).alphaInit).toEqual({ conv: 1.5, linear: 4 });
    expect(flagOverrides({}).alphaInit).toBeUndefined();
    expect(() => flagOverrides({ alphaInit: '1,2,3' })).toThrow(
      /--alpha-init: expected <alpha> or <conv>,<linear>/,
    );
    expect(() => flagOverrides({ alphaInit: '2,' })).toThrow(/--alpha-init/);
  });

  it('names the flag when an --alpha-init value is invalid', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'fracbits-flags-'));
    await expect(prepareSearch({ alphaInit: '0,abc' }, cwd)).rejects.toThrow(
      /alphaInit\.conv \(--alpha-init\)[^\n]*\n[^\n]*alphaInit\.linear \(--alpha-init\)/,
    );
  });
});
