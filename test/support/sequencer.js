// Suites run one at a time and share one database; run them in a fixed (alphabetical) order
// so a run on CI is the same run as on a laptop, whatever jest's timing cache says.
const Sequencer = require("@jest/test-sequencer").default;

class AlphabeticalSequencer extends Sequencer {
  sort(tests) {
    return [...tests].sort((a, b) => a.path.localeCompare(b.path));
  }
}

module.exports = AlphabeticalSequencer;
