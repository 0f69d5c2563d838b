import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { loadConfig } from './load-config';

describe(loadConfig.name, () => {
  describe('TIDEMARK_TRUST_PROXY', () => {
    const accepted: [string, string | undefined, boolean | string[]][] = [
      ['trusts no proxy when unset', undefined, false],
      ['trusts no proxy when empty', '', false],
      ['trusts no proxy when false', 'false', false],
      ['trusts any proxy when true', 'true', true],
      ['trusts one address', '10.0.0.5', ['10.0.0.5']],
      [
        'trusts a comma list of addresses and CIDR blocks, spaces trimmed',
        '127.0.0.1, 10.0.0.0/8,fd00::/8 ,::1',
        ['127.0.0.1', '10.0.0.0/8', 'fd00::/8', '::1'],
      ],
    ];
    for (const [behaviour, value, trustProxy] of accepted) {
      it(behaviour, () => {
        assert.deepEqual(loadConfig({ TIDEMARK_TRUST_PROXY: value }).trustProxy, trustProxy);
      });
    }

    for (const value of ['yes', '10.0.0.0/33', 'fd00::/129', '10.0.0.1/8/8', 'proxy.local', '1,']) {
      it(`refuses "${value}" with a message naming the setting`, () => {
        assert.throws(() => loadConfig({ TIDEMARK_TRUST_PROXY: value }), /trustProxy/);
      });
    }
  });
});
