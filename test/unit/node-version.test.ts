import { nodeVersionProblem } from '../../src/platform/node-version';

describe("the Node.js version check at the gateway's start", () => {
  it('accepts the required version and any later one', () => {
    for (const v of ['20.18.0', 'v20.18.0', '20.18.1', '20.19.0', '22.1.0', '24.0.0']) expect(nodeVersionProblem(v, '>=20.18')).toBeNull();
  });

  it('names the version found and the one needed for an older one', () => {
    expect(nodeVersionProblem('v20.17.9', '>=20.18')).toBe('Node.js 20.17.9 is too old: the gateway needs Node.js >=20.18 (see README, Two commands)');
    expect(nodeVersionProblem('18.20.4', '>=20.18.0')).toMatch(/^Node\.js 18\.20\.4 is too old/);
  });

  it('checks against the engines field of package.json, which this Node.js meets', () => {
    const required = (require('../../package.json') as { engines: { node: string } }).engines.node;
    expect(nodeVersionProblem(process.versions.node, required)).toBeNull();
  });
});
