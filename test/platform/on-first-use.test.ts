import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadedOnFirstCall, onFirstUse } from '../../shared/on-first-use';

interface Greeter {
  greet(name: string): Promise<string>;
  count(): Promise<number>;
}

describe('on first use (collaborators loaded when a call needs them)', () => {
  it('loads once, on the first get, for every caller at once', async () => {
    let loads = 0;
    const greeter = onFirstUse(async () => ({ loadNumber: ++loads }));
    assert.equal(loads, 0);
    assert.equal(greeter.loaded(), undefined);
    const [first, second] = await Promise.all([greeter.get(), greeter.get()]);
    assert.equal(loads, 1);
    assert.equal(first, second);
    assert.deepEqual(greeter.loaded(), { loadNumber: 1 });
  });

  it('tries a failed load again on the next call', async () => {
    let attempts = 0;
    const flaky = onFirstUse(async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('module not reachable');
      return 'loaded';
    });
    await assert.rejects(flaky.get(), /module not reachable/);
    assert.equal(await flaky.get(), 'loaded');
    assert.equal(attempts, 2);
  });

  it('a port loaded with the first call to any method, which then reaches the real adapter', async () => {
    let loads = 0;
    let calls = 0;
    const port = loadedOnFirstCall<Greeter>(async () => {
      loads += 1;
      return { greet: async (name) => `hello ${name}`, count: async () => ++calls };
    });
    assert.equal(loads, 0);
    assert.equal(await port.greet('Ada'), 'hello Ada');
    assert.equal(await port.count(), 1);
    assert.equal(await port.count(), 2);
    assert.equal(loads, 1);
  });

  it('is not a thenable: awaiting or returning the port loads and calls nothing', async () => {
    let loads = 0;
    const port = loadedOnFirstCall<Greeter>(async () => {
      loads += 1;
      return { greet: async (name) => name, count: async () => 0 };
    });
    assert.equal(await Promise.resolve(port), port);
    assert.equal(loads, 0);
  });
});
