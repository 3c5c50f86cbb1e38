/**
 * The results of `hubify test`: a human table (check, result, time, detail), JSON, and JUnit XML
 * (one testcase per check).
 */

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  /** Short id, e.g. `endpoint-security` or `app:rstudio`. */
  name: string;
  status: CheckStatus;
  ms: number;
  /** One line when it passed; on failure what went wrong, possibly with log lines. */
  detail: string;
}

export interface TestReport {
  image: string;
  hubImage: string;
  hubVersion: string;
  runId: string;
  checks: CheckResult[];
  totalMs: number;
}

export function reportPassed(report: TestReport): boolean {
  return report.checks.every((check) => check.status !== 'fail');
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

const MARK: Record<CheckStatus, string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' };

/** The human table; multi-line details are indented under their row. */
export function formatTable(report: TestReport): string {
  const rows = report.checks.map((c) => {
    const [first = '', ...rest] = c.detail.split('\n');
    return { cells: [c.name, MARK[c.status], formatSeconds(c.ms), first], rest };
  });
  const header = ['CHECK', 'RESULT', 'TIME', 'DETAIL'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i]?.length ?? 0)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [
    `hubify test ${report.image} (hub ${report.hubImage}${report.hubVersion === '' ? '' : `, JupyterHub ${report.hubVersion}`})`,
    '',
    line(header),
  ];
  const indent = ' '.repeat((widths[0] ?? 0) + (widths[1] ?? 0) + (widths[2] ?? 0) + 6);
  for (const row of rows) {
    out.push(line(row.cells));
    for (const extra of row.rest) out.push(`${indent}${extra}`.trimEnd());
  }
  const count = (status: CheckStatus): number => report.checks.filter((c) => c.status === status).length;
  const failed = count('fail');
  const skipped = count('skip');
  out.push(
    '',
    `${failed === 0 ? 'PASSED' : 'FAILED'}: ${count('pass')} passed, ${failed} failed` +
      `${skipped === 0 ? '' : `, ${skipped} skipped`} in ${formatSeconds(report.totalMs)}`,
  );
  return `${out.join('\n')}\n`;
}

export function formatJson(report: TestReport): string {
  return `${JSON.stringify({ ...report, passed: reportPassed(report) }, null, 2)}\n`;
}

export function xmlEscape(text: string): string {
  return (
    text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
  );
}

export function formatJunit(report: TestReport): string {
  const failures = report.checks.filter((c) => c.status === 'fail').length;
  const skipped = report.checks.filter((c) => c.status === 'skip').length;
  const seconds = (ms: number): string => (ms / 1000).toFixed(3);
  const suite = `hubify test ${report.image}`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="hubify test" tests="${report.checks.length}" failures="${failures}" skipped="${skipped}" time="${seconds(report.totalMs)}">`,
    `  <testsuite name="${xmlEscape(suite)}" tests="${report.checks.length}" failures="${failures}" skipped="${skipped}" errors="0" time="${seconds(report.totalMs)}">`,
  ];
  for (const check of report.checks) {
    const open = `    <testcase classname="${xmlEscape(suite)}" name="${xmlEscape(check.name)}" time="${seconds(check.ms)}"`;
    if (check.status === 'pass') {
      lines.push(`${open}>`, `      <system-out>${xmlEscape(check.detail)}</system-out>`, '    </testcase>');
    } else if (check.status === 'skip') {
      lines.push(`${open}>`, `      <skipped message="${xmlEscape(check.detail)}"/>`, '    </testcase>');
    } else {
      const first = check.detail.split('\n')[0] ?? '';
      lines.push(
        `${open}>`,
        `      <failure message="${xmlEscape(first)}">${xmlEscape(check.detail)}</failure>`,
        '    </testcase>',
      );
    }
  }
  lines.push('  </testsuite>', '</testsuites>');
  return `${lines.join('\n')}\n`;
}
