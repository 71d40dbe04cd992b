/**
 * bats puts where a test failed in its failure text, not in a field: "(in test file
 * bootstrap.bats, line 28)". Both its TAP and its JUnit output carry that line, so both parsers
 * turn it into the usual file:line.
 */
const IN_TEST_FILE = /^\s*\(in test file (.+), line (\d+)\)\s*$/;

export function batsLocation(line: string): string | undefined {
  const match = IN_TEST_FILE.exec(line);
  return match ? `${match[1]}:${match[2]}` : undefined;
}
