// Mocha's spec reporter plus one plain closing line, `N passed, N failed, N skipped`, that CI reads.
const Mocha = require('mocha');

class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once('end', () => {
      const s = runner.stats || {};
      console.log(`${s.passes || 0} passed, ${s.failures || 0} failed, ${s.pending || 0} skipped`);
    });
  }
}

module.exports = SpecWithSummary;
