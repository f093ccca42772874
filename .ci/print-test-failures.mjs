// Prints the failing tests of a vitest JSON report (`--reporter=json --outputFile.json=FILE`): each test's file,
// full name and failure messages, then the errors vitest reported outside any test (unhandled rejections), taken
// from the run's log. Usage: node .ci/print-test-failures.mjs .tmp/vitest.json .tmp/vitest.log
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

const [reportFile, logFile] = process.argv.slice(2);
if (!reportFile || !existsSync(reportFile)) {
  console.log(`no vitest report at ${reportFile}: the test run did not finish (see its output above)`);
  process.exit(0);
}
const report = JSON.parse(readFileSync(reportFile, 'utf8'));
// biome-ignore lint/suspicious/noControlCharactersInRegex: strips terminal colours from vitest's messages
const plain = (text) => String(text).replace(/\u001b\[[0-9;]*m/g, '');
let failed = 0;
for (const file of report.testResults ?? []) {
  const name = relative(process.cwd(), file.name);
  const tests = (file.assertionResults ?? []).filter((t) => t.status === 'failed');
  if (file.status === 'failed' && tests.length === 0 && file.message) {
    failed += 1;
    console.log(`\n--- ${name} (the file itself failed)\n${plain(file.message)}`);
  }
  for (const test of tests) {
    failed += 1;
    console.log(`\n--- ${name} > ${test.fullName}`);
    for (const message of test.failureMessages ?? []) console.log(plain(message).split('\n').slice(0, 40).join('\n'));
  }
}
const log = logFile && existsSync(logFile) ? plain(readFileSync(logFile, 'utf8')) : '';
const unhandled = log.indexOf('Unhandled Errors');
if (unhandled >= 0) {
  const end = log.indexOf(' Test Files ', unhandled);
  console.log(`\n--- errors outside any test (vitest "Unhandled Errors")\n${log.slice(unhandled, end < 0 ? undefined : end)}`);
}
console.log(
  `\n${report.numPassedTests} passed, ${report.numFailedTests} failed, ${failed} failure(s) listed above` +
    (report.success === false && failed === 0 && unhandled < 0 ? '; vitest reported the run failed' : ''),
);
