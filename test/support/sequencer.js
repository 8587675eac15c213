/**
 * Runs the longest suites first, so no long suite starts last and holds the run open while the other worker
 * idles. Jest does this by itself from the durations it cached on this machine; on a fresh clone (CI) it has
 * none and goes by file size, which put the process suites (a build, then gateways in child processes) at the
 * end. There, the seconds each suite took in a recorded run (suite-seconds.json) stand in; a suite not listed
 * runs first, as Jest runs a suite it has no time for.
 */
const { relative } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;
const recorded = require('./suite-seconds.json');

class LongestFirst extends Sequencer {
  time(test) {
    // Milliseconds, as Jest caches them.
    const cached = super.time(test);
    if (cached != null) return cached;
    const seconds = recorded[relative(test.context.config.rootDir, test.path).split('\\').join('/')];
    return seconds === undefined ? undefined : seconds * 1000;
  }
}

module.exports = LongestFirst;
