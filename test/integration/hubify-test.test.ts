// `hubify test` end to end: the real CLI (dist/hubify.mjs, made by `npm run build`) run on every
// hubified fixture image against a stock hub image, here `hubify-fixture/jupyterhub:latest` (Debian's
// JupyterHub 3.0 standing in for the official hub image, see test/images/README.md). Each run must end
// with exit 0 and every check passed (hubified debian has no apps, so its `apps` check is reported as
// skipped), once with the default single-user command and once with `--use-image-cmd`; an image
// without the hub runtime fails fast (< 10 s) with exit 1; an image with an app that crashes
// fails exactly that app's check and shows its log line; `--junit` writes JUnit XML; and no container
// of a run is left behind.
//
// RStudio: the rocker-r fixture carries a layout model of RStudio Server (a stub rserver that prints
// "hubify layout fixture, not RStudio Server" and exits 1; RStudio is not in Debian). We test the
// image as `hubify build` makes it from that fixture (the same `hubify-test/rocker-r:latest` the other
// suites use) rather than building a variant whose manifest drops rstudio: then `hubify test` on it
// must fail with exit 1 with EXACTLY the `app:rstudio` check failed, showing the stub's log line, and
// every other check (Shiny included) passed. That is what a user with a broken RStudio would see,
// and it keeps this suite from ever claiming that RStudio runs here.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { connectDocker, inspectImage, removeContainersByLabel, TEST_RUN_LABEL } from '../helpers/docker.ts';
import type { CheckResult, TestReport as HubTestReport } from '../../cli/hubtest/report.ts';
import { CLI, describeRun, runNode, type CliResult } from '../helpers/hubify-cli.ts';
import { setUpOrFailEveryTest } from '../helpers/setup-guard.ts';
import { ensureFixtures, type FixtureName } from '../images/build-fixtures.ts';

const HUB_IMAGE = 'hubify-fixture/jupyterhub:latest';
/** The label every container of a `hubify test` run carries, valued with the run's id. */
const RUN_LABEL = TEST_RUN_LABEL;

/** What a `hubify test` run must report, beyond "every other check passed". */
interface Expected {
  /** The app checks (`app:<name>`) the run must have: the apps `hubify build` detected. */
  apps: string[];
  /** The one check that must fail, and a line its detail must show (see the top comment). */
  failing?: { check: string; logLine: string };
  /** Checks that must be reported as skipped, with (part of) the reason. */
  skipped?: Record<string, string>;
}

/** The hubified fixtures (apps as in hubified-images.test.ts). */
const HUBIFIED: ({ name: FixtureName } & Expected)[] = [
  { name: 'debian', apps: [], skipped: { apps: 'the manifest lists no apps' } },
  {
    name: 'rocker-r',
    apps: ['hello', 'rstudio'],
    failing: { check: 'app:rstudio', logLine: 'hubify layout fixture, not RStudio Server' },
  },
  { name: 'conda-notebook', apps: ['notebook'] },
  { name: 'docker-stacks', apps: ['notebook'] },
  { name: 'desktop', apps: ['desktop'] },
];
/** Checks every run has, whatever the image. */
const CORE_CHECKS = ['endpoint-security', 'activity', 'stop'];
/** The fixture also run with `--use-image-cmd`: the hubified image's ENTRYPOINT and CMD start it. */
const IMAGE_CMD_FIXTURE: FixtureName = 'docker-stacks';
const BROKEN_IMAGE = 'hubify-test/broken-app:latest';
const CRASHY_LOG_LINE = 'crashy-web: cannot start: config file /etc/crashy-web.conf not found';

const BUILD_TIMEOUT_MS = 30 * 60_000;
/** One `hubify test` run: a hub start, one server per mode, every app; generous for the 2-core machines. */
const RUN_TIMEOUT_MS = 5 * 60_000;

/** The `--json` report: `TestReport` of cli/hubtest/report.ts plus `passed` (its `formatJson`). */
type TestReport = HubTestReport & { passed: boolean };

let docker: Docker;
let scratch: string;
const runIds = new Set<string>();

function hubified(name: string): string {
  return `hubify-test/${name}:latest`;
}

function runCli(args: string[], timeoutMs = RUN_TIMEOUT_MS): Promise<CliResult> {
  return runNode(args, { timeoutMs });
}

/** Runs `hubify test IMAGE --hub-image HUB --json [...more]`, parses the report, records its run id. */
async function hubifyTest(
  image: string,
  more: string[] = [],
): Promise<{ result: CliResult; report: TestReport; args: string[] }> {
  const args = ['test', image, '--hub-image', HUB_IMAGE, '--json', ...more];
  const result = await runCli(args);
  let report: TestReport;
  try {
    report = JSON.parse(result.stdout) as TestReport;
  } catch (error) {
    throw new Error(`stdout is not the JSON report: ${String(error)}\n${describeRun(args, result)}`, {
      cause: error,
    });
  }
  if (report.runId) runIds.add(report.runId);
  expect(Array.isArray(report.checks), describeRun(args, result)).toBe(true);
  expect(report.checks.length, describeRun(args, result)).toBeGreaterThan(0);
  for (const check of report.checks) {
    expect(typeof check.name).toBe('string');
    expect(['pass', 'fail', 'skip']).toContain(check.status);
    expect(typeof check.ms).toBe('number');
    expect(typeof check.detail).toBe('string');
  }
  expect(report.image).toBe(image);
  expect(report.hubImage).toBe(HUB_IMAGE);
  expect(report.hubVersion).toMatch(/^3\.\d+\.\d+/);
  return { result, report, args };
}

/** Containers of a run (by its id) still present, running or not. */
async function leftOf(runId: string): Promise<string[]> {
  const left = await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${runId}`] } });
  return left.map((info) => `${info.Names.join(',')} (${info.Image}, ${info.State})`);
}

/**
 * Containers with the run label (any run) made since `since` from one of `images`: for a run that
 * ends before it reports its id.
 */
async function leftSince(since: number, images: readonly string[]): Promise<string[]> {
  const ids = new Set<string>();
  for (const image of images) {
    const info = await inspectImage(docker, image);
    if (info) ids.add(info.Id);
  }
  const left = await docker.listContainers({ all: true, filters: { label: [RUN_LABEL] } });
  return left
    .filter((info) => info.Created * 1000 >= since - 1000)
    .filter((info) => images.includes(info.Image) || ids.has(info.ImageID))
    .map((info) => `${info.Names.join(',')} (${info.Image}, ${info.State})`);
}

function failed(report: TestReport): CheckResult[] {
  return report.checks.filter((check) => check.status === 'fail');
}

function summary(report: TestReport): string {
  return report.checks.map((check) => `${check.status} ${check.name}: ${check.detail}`).join('\n');
}

/**
 * Exit 1 and `passed: false` when a check must fail, else exit 0 and `passed: true`; the core checks
 * and exactly the expected app checks present; the failing check failed showing its log line, the
 * skipped ones skipped for their reason, and every other check passed.
 */
function expectOutcome(
  run: { result: CliResult; report: TestReport; args: string[] },
  expected: Expected,
): void {
  const { result, report, args } = run;
  const context = `${describeRun(args, result)}\nchecks:\n${summary(report)}`;
  expect(result.code, context).toBe(expected.failing ? 1 : 0);
  expect(report.passed, context).toBe(!expected.failing);
  const names = report.checks.map((check) => check.name);
  expect(names, context).toEqual(expect.arrayContaining(CORE_CHECKS));
  expect(names.filter((checkName) => checkName.startsWith('app:')).sort(), context).toEqual(
    expected.apps.map((app) => `app:${app}`).sort(),
  );
  expect(
    failed(report).map((check) => check.name),
    context,
  ).toEqual(expected.failing ? [expected.failing.check] : []);
  if (expected.failing) expect(failed(report)[0]?.detail, context).toContain(expected.failing.logLine);
  for (const check of report.checks) {
    if (check.name === expected.failing?.check) continue;
    const skipReason = expected.skipped?.[check.name];
    if (skipReason === undefined) {
      expect(check.status, `${check.name}: ${check.detail}\n${context}`).toBe('pass');
    } else {
      expect(check.status, `${check.name}\n${context}`).toBe('skip');
      expect(check.detail, `${check.name}\n${context}`).toContain(skipReason);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Minimal XML: well-formedness (balanced elements, quoted attributes, one root) into a small tree.

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/** An `&` that starts no entity. */
const BAD_ENTITY = /&(?!(lt|gt|amp|quot|apos|#\d+);)/;

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&amp;/g, '&');
}

function parseXml(xml: string): XmlElement {
  const body = xml.replace(/^\uFEFF?<\?xml[^?]*\?>\s*/, '');
  if (body === xml) throw new Error('no XML declaration');
  const root: XmlElement = { name: '#document', attributes: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  const token = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*"[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/gy;
  let match: RegExpExecArray | null;
  let position = 0;
  while ((match = token.exec(body)) !== null) {
    position = token.lastIndex;
    const [, closing, name, attrs, selfClosing, text, stray] = match;
    const top = stack.at(-1);
    if (!top) throw new Error('unbalanced XML');
    if (stray !== undefined)
      throw new Error(`malformed markup at ${match.index}: ${body.slice(match.index, match.index + 40)}`);
    if (text !== undefined) {
      if (BAD_ENTITY.test(text)) throw new Error(`bad entity in text: ${text}`);
      top.text += unescapeXml(text);
      continue;
    }
    if (closing) {
      if (top.name !== name || attrs || selfClosing) throw new Error(`</${name}> closes <${top.name}>`);
      stack.pop();
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const attr of (attrs ?? '').matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*"([^"<]*)"/g)) {
      const [, key = '', value = ''] = attr;
      if (key in attributes) throw new Error(`attribute ${key} twice on <${name}>`);
      if (BAD_ENTITY.test(value)) throw new Error(`bad entity in ${key}="${value}"`);
      attributes[key] = unescapeXml(value);
    }
    const element: XmlElement = { name: name ?? '', attributes, children: [], text: '' };
    top.children.push(element);
    if (!selfClosing) stack.push(element);
  }
  if (position !== body.length) throw new Error(`XML not parsed past offset ${position}`);
  if (stack.length !== 1) throw new Error(`unclosed <${stack.at(-1)?.name}>`);
  if (root.children.length !== 1 || root.text.trim() !== '') throw new Error('not exactly one root element');
  const [document] = root.children;
  if (!document) throw new Error('no root element');
  return document;
}

// ---------------------------------------------------------------------------------------------

setUpOrFailEveryTest(async () => {
  docker = await connectDocker();
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`);
  const help = await runCli(['test', '--help'], 30_000);
  if (help.code !== 0 || !help.stdout.includes('--hub-image'))
    throw new Error(
      `dist/hubify.mjs has no \`hubify test --hub-image\` (rebuild with npm run build):\n${describeRun(['test', '--help'], help)}`,
    );
  await ensureFixtures([...HUBIFIED.map((fixture) => fixture.name), 'jupyterhub', 'broken-app'], {
    docker,
    log: (line) => {
      if (/built |made |building |ERROR/.test(line)) console.log(line);
    },
  });
  // The hubified images, built through the CLI every run (a warm build takes seconds): an image left
  // from an earlier run would carry an older runtime, and what is tested must be what users run.
  const builds: { fixture: FixtureName; tag: string; extra: string[] }[] = [
    ...HUBIFIED.map((fixture) => ({ fixture: fixture.name, tag: hubified(fixture.name), extra: [] })),
    { fixture: 'broken-app', tag: BROKEN_IMAGE, extra: ['--app', 'crashy=/usr/local/bin/crashy-web'] },
  ];
  for (const build of builds) {
    const args = ['build', `hubify-fixture/${build.fixture}:latest`, '--tag', build.tag, ...build.extra];
    console.log(`hubify ${args.join(' ')}`);
    const result = await runCli(args, 15 * 60_000);
    if (result.code !== 0) throw new Error(`the set-up build failed: ${describeRun(args, result)}`);
  }
  scratch = await mkdtemp(join(tmpdir(), 'hubify-test-e2e-'));
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  if (docker !== undefined)
    for (const runId of runIds) await removeContainersByLabel(docker, RUN_LABEL, runId);
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

describe.each(HUBIFIED)('hubify test on hubified $name', ({ name, ...expected }) => {
  it(
    expected.failing
      ? `passes every check but ${expected.failing.check} (a layout model), which fails with its log line`
      : 'passes every check and exits 0',
    async () => {
      const run = await hubifyTest(hubified(name));
      expectOutcome(run, expected);
      expect(await leftOf(run.report.runId), 'containers left by the run').toEqual([]);
    },
    RUN_TIMEOUT_MS + 30_000,
  );
});

describe('hubify test options and failures', () => {
  it(
    `--use-image-cmd: hubified ${IMAGE_CMD_FIXTURE} passes every check with its own ENTRYPOINT and CMD`,
    async () => {
      const run = await hubifyTest(hubified(IMAGE_CMD_FIXTURE), ['--use-image-cmd']);
      const fixture = HUBIFIED.find((candidate) => candidate.name === IMAGE_CMD_FIXTURE);
      expectOutcome(run, { apps: fixture?.apps ?? [] });
      expect(await leftOf(run.report.runId), 'containers left by the run').toEqual([]);
    },
    RUN_TIMEOUT_MS + 30_000,
  );

  it('an image without the hub runtime (unmodified debian) fails fast with exit 1', async () => {
    const image = 'hubify-fixture/debian:latest';
    const since = Date.now();
    const args = ['test', image, '--hub-image', HUB_IMAGE, '--json'];
    const result = await runCli(args, 60_000);
    expect(result.code, describeRun(args, result)).toBe(1);
    expect(result.stdout + result.stderr, describeRun(args, result)).toContain(
      'no hub runtime in this image',
    );
    expect(result.ms, describeRun(args, result)).toBeLessThan(10_000);
    expect(await leftSince(since, [image, HUB_IMAGE]), 'containers left by the run').toEqual([]);
  });

  it(
    'an app that crashes on start fails exactly its own check, shows its log line, and --junit writes the XML',
    async () => {
      const junit = join(scratch, 'broken-app.xml');
      const run = await hubifyTest(BROKEN_IMAGE, ['--junit', junit]);
      const { report } = run;
      expectOutcome(run, { apps: ['crashy'], failing: { check: 'app:crashy', logLine: CRASHY_LOG_LINE } });
      expect(await leftOf(report.runId), 'containers left by the run').toEqual([]);

      // JUnit XML: one testsuite, one testcase per check, the failure on app:crashy only.
      const xml = parseXml(await readFile(junit, 'utf8'));
      expect(xml.name).toBe('testsuites');
      const suites = xml.children.filter((child) => child.name === 'testsuite');
      expect(suites).toHaveLength(1);
      const [suite] = suites;
      const cases = suite?.children.filter((child) => child.name === 'testcase') ?? [];
      expect(cases.map((testcase) => testcase.attributes.name)).toEqual(
        report.checks.map((check) => check.name),
      );
      expect(suite?.attributes.tests).toBe(String(report.checks.length));
      expect(suite?.attributes.failures).toBe('1');
      for (const testcase of cases) expect(Number(testcase.attributes.time)).toBeGreaterThanOrEqual(0);
      const failures = cases.filter((testcase) =>
        testcase.children.some((child) => child.name === 'failure'),
      );
      expect(failures.map((testcase) => testcase.attributes.name)).toEqual(['app:crashy']);
      const failure = failures[0]?.children.find((child) => child.name === 'failure');
      expect(failure?.text).toContain(CRASHY_LOG_LINE);
      expect(failure?.attributes.message).toBeTruthy();
    },
    RUN_TIMEOUT_MS + 30_000,
  );
});
