// Prints vitest's JSON report as the one plain closing line CI reads: "N passed, N failed, N skipped".
import { readFileSync } from 'node:fs';

const file = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch {
  console.log('0 passed, 1 failed');
  console.error(`summary: no vitest report at ${file} (the runner crashed before writing it)`);
  process.exit(1);
}
const skipped = report.numPendingTests + report.numTodoTests;
// A suite file that fails to load counts as a failure even though it holds no test results.
const brokenFiles = report.testResults.filter(
  (f) => f.status === 'failed' && f.assertionResults.length === 0,
).length;
console.log(
  `${report.numPassedTests} passed, ${report.numFailedTests + brokenFiles} failed, ${skipped} skipped`,
);
