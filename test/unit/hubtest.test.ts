// `hubify test` without containers: the hub config it renders, the control server's auth, the report
// formats, and the judgement of each check.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { activityAdvanced } from '../../cli/hubtest/checks/activity.ts';
import {
  appLogLines,
  readinessTimeoutMs,
  webSocketKind,
  xsrfCookie,
} from '../../cli/hubtest/checks/app-launch.ts';
import { isOnServer, refusesWrongToken, tokenProbePath } from '../../cli/hubtest/checks/endpoint-security.ts';
import { judgeStop } from '../../cli/hubtest/checks/stop.ts';
import {
  isAuthorized,
  parseSpawnRequest,
  startControlServer,
  type ControlHandler,
  type ControlServer,
  type SpawnRequest,
} from '../../cli/hubtest/control-server.ts';
import { renderHubConfig, toPython, type HubConfigInput } from '../../cli/hubtest/hub-config.ts';
import { parseManifestApps, pathDirs } from '../../cli/hubtest/image-runtime.ts';
import {
  formatJson,
  formatJunit,
  formatTable,
  reportPassed,
  type TestReport,
} from '../../cli/hubtest/report.ts';
import { timed } from '../../cli/hubtest/run.ts';
import { containerCommand, demux } from '../../cli/hubtest/server-containers.ts';

const configInput: HubConfigInput = {
  publicPort: 18000,
  hubPort: 18001,
  proxyApiPort: 18002,
  controlUrl: 'http://127.0.0.1:18003',
  controlSecret: 's3cret"\'\\',
  password: 'pw',
  users: ['hubify-owner', 'hubify-other'],
  serviceName: 'hubify-test',
  serviceToken: 'tok',
  timeoutSeconds: 120,
  environment: { JUPYTERHUB_ACTIVITY_INTERVAL: '2' },
};

function hasPython(): boolean {
  try {
    execFileSync('python3', ['-c', 'pass']);
    return true;
  } catch {
    return false;
  }
}

describe('hub config', () => {
  it('writes Python literals', () => {
    expect(toPython({ a: [1, true, null, 'x"y'] })).toBe('{"a": [1, True, None, "x\\"y"]}');
    expect(() => toPython(Number.NaN)).toThrow();
  });

  it('uses loopback, the dummy authenticator, no admins, the control spawner and the activity interval', () => {
    const text = renderHubConfig(configInput);
    expect(text).toContain(`c.JupyterHub.bind_url = "http://127.0.0.1:18000"`);
    expect(text).toContain(`c.JupyterHub.hub_bind_url = "http://127.0.0.1:18001"`);
    expect(text).toContain(`c.JupyterHub.authenticator_class = 'dummy'`);
    expect(text).toContain(`c.Authenticator.allowed_users = set(["hubify-owner", "hubify-other"])`);
    expect(text).toContain('c.Authenticator.admin_users = set()');
    expect(text).toContain('c.JupyterHub.spawner_class = HubifyTestSpawner');
    expect(text).toContain(`c.Spawner.cmd = ['jupyterhub-singleuser']`);
    expect(text).toContain('"JUPYTERHUB_ACTIVITY_INTERVAL": "2"');
    expect(text).toContain('"read:users:activity"');
    expect(text).toContain('"tokens"');
    // Only the standard library and jupyterhub: no docker, no third-party HTTP client.
    const imports = text.split('\n').filter((line) => /^\s*(import|from) /.test(line));
    for (const line of imports) expect(line).toMatch(/^(import (asyncio|json|os|urllib)|from jupyterhub)/);
  });

  it.runIf(hasPython())('is valid Python', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubtest-config-'));
    const file = join(dir, 'jupyterhub_config.py');
    writeFileSync(file, renderHubConfig(configInput));
    execFileSync('python3', ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read())', file]);
  });
});

describe('control server', () => {
  let server: ControlServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('compares the bearer secret exactly', () => {
    expect(isAuthorized('Bearer abc', 'abc')).toBe(true);
    expect(isAuthorized('Bearer abd', 'abc')).toBe(false);
    expect(isAuthorized('bearer abc', 'abc')).toBe(false);
    expect(isAuthorized('Bearer abcd', 'abc')).toBe(false);
    expect(isAuthorized(undefined, 'abc')).toBe(false);
    expect(isAuthorized('Bearer ', '')).toBe(false);
  });

  it('refuses requests without the secret and passes authorized ones to the handler', async () => {
    const seen: SpawnRequest[] = [];
    const handler: ControlHandler = {
      start: (req) => {
        seen.push(req);
        return Promise.resolve({ ip: '127.0.0.1', port: 4242 });
      },
      poll: () => Promise.resolve(null),
      stop: () => Promise.reject(new Error('boom')),
    };
    server = await startControlServer('secret', handler);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const body = JSON.stringify({
      user: 'alice',
      server: '',
      env: { A: 1 },
      cmd: ['x'],
      args: ['--y'],
      prefix: '/user/alice/',
    });
    const post = async (path: string, auth: string | null, text = body) => {
      const res = await request(`${server?.url ?? ''}${path}`, {
        method: 'POST',
        headers: auth === null ? {} : { Authorization: auth },
        body: text,
      });
      return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
    };
    expect((await post('/start', null)).status).toBe(401);
    expect((await post('/start', 'Bearer wrong')).status).toBe(401);
    expect(seen).toHaveLength(0);
    const ok = await post('/start', 'Bearer secret');
    expect(ok).toEqual({ status: 200, json: { ip: '127.0.0.1', port: 4242 } });
    expect(seen[0]).toEqual({
      user: 'alice',
      server: '',
      env: { A: '1' },
      cmd: ['x'],
      args: ['--y'],
      prefix: '/user/alice/',
    });
    expect(await post('/poll', 'Bearer secret')).toEqual({ status: 200, json: { status: null } });
    expect((await post('/stop', 'Bearer secret')).status).toBe(500);
    expect((await post('/nope', 'Bearer secret')).status).toBe(404);
    expect((await post('/start', 'Bearer secret', 'not json')).status).toBe(400);
  });

  it('needs a user in a spawn request', () => {
    expect(() => parseSpawnRequest({})).toThrow(/user/);
    expect(parseSpawnRequest({ user: 'bob' }).prefix).toBe('/user/bob/');
  });
});

const report: TestReport = {
  image: 'me/img:1',
  hubImage: 'hub:1',
  hubVersion: '3.0.0',
  runId: 'abc',
  totalMs: 12_345,
  checks: [
    { name: 'endpoint-security', status: 'pass', ms: 3_400, detail: 'anonymous -> hub login' },
    { name: 'app:rstudio', status: 'fail', ms: 100, detail: 'rstudio failed <to> start\nline "2" & more' },
    { name: 'stop', status: 'skip', ms: 0, detail: 'skipped: --keep' },
  ],
};

describe('report', () => {
  it('prints a table with result, time and indented detail lines', () => {
    const table = formatTable(report);
    expect(table).toContain('CHECK              RESULT  TIME   DETAIL');
    expect(table).toMatch(/endpoint-security +PASS +3\.4 s +anonymous -> hub login/);
    expect(table).toMatch(/app:rstudio +FAIL +0\.1 s +rstudio failed <to> start\n +line "2" & more/);
    expect(table).toContain('FAILED: 1 passed, 1 failed, 1 skipped in 12.3 s');
    expect(reportPassed(report)).toBe(false);
    expect(reportPassed({ ...report, checks: [report.checks[0]!, report.checks[2]!] })).toBe(true);
  });

  it('prints JSON with passed', () => {
    const parsed = JSON.parse(formatJson(report)) as { passed: boolean; checks: unknown[] };
    expect(parsed.passed).toBe(false);
    expect(parsed.checks).toHaveLength(3);
  });

  it('writes JUnit XML with one escaped testcase per check', () => {
    const xml = formatJunit(report);
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>/);
    expect(xml).toContain('tests="3" failures="1" skipped="1"');
    expect(xml.match(/<testcase /g)).toHaveLength(3);
    expect(xml).toContain('<failure message="rstudio failed &lt;to&gt; start">');
    expect(xml).toContain('line &quot;2&quot; &amp; more');
    expect(xml).toContain('<skipped message="skipped: --keep"/>');
    expect(xml).toContain('time="3.400"');
  });
});

describe('check logic', () => {
  it('times a check and turns a throw into its failure', async () => {
    expect(await timed('a', () => Promise.resolve('fine'))).toMatchObject({
      name: 'a',
      status: 'pass',
      detail: 'fine',
    });
    expect(await timed('b', () => Promise.reject(new Error('bad')))).toMatchObject({
      status: 'fail',
      detail: 'bad',
    });
  });

  it('endpoint security', () => {
    expect(refusesWrongToken(403)).toBe(true);
    expect(refusesWrongToken(302)).toBe(true);
    expect(refusesWrongToken(200)).toBe(false);
    expect(refusesWrongToken(500)).toBe(false);
    expect(isOnServer('http://h/user/a/rstudio/', '/user/a/')).toBe(true);
    expect(isOnServer('http://h/user/a', '/user/a/')).toBe(true);
    expect(isOnServer('http://h/hub/spawn-pending/a', '/user/a/')).toBe(false);
    expect(tokenProbePath('/user/a/', true)).toBe('/user/a/api/status');
    expect(tokenProbePath('/user/a/', false)).toBe('/user/a/api/contents');
  });

  it('activity advances only to a later time', () => {
    expect(activityAdvanced(null, '2026-01-01T00:00:00Z')).toBe(true);
    expect(activityAdvanced('2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z')).toBe(true);
    expect(activityAdvanced('2026-01-01T00:00:01Z', '2026-01-01T00:00:01.000000Z')).toBe(false);
    expect(activityAdvanced('2026-01-01T00:00:01Z', null)).toBe(false);
  });

  it('knows which apps use WebSockets', () => {
    expect(webSocketKind({ name: 'hello', description: 'A Shiny app', command: ['Rscript'] })).toBe('shiny');
    expect(webSocketKind({ name: 'notebook', title: 'Jupyter Notebook' })).toBe('jupyter');
    expect(webSocketKind({ name: 'lab' })).toBe('jupyter');
    expect(webSocketKind({ name: 'desktop', readiness: { path: '/vnc.html' } })).toBe('desktop');
    expect(webSocketKind({ name: 'rstudio', title: 'RStudio' })).toBeNull();
    expect(readinessTimeoutMs({ name: 'a', readiness: { timeout: 30 } }, 120_000)).toBe(40_000);
    expect(readinessTimeoutMs({ name: 'a' }, 20_000)).toBe(30_000);
  });

  it('finds the XSRF cookie and an app’s own log lines', () => {
    expect(xsrfCookie(['a=b', '_xsrf=2|abc; Path=/'])).toBe('2|abc');
    expect(xsrfCookie(undefined)).toBeNull();
    const logs = 'x name=rstudio state=starting\n[hello] ! hi\n[rstudio] ! crash\nother';
    expect(appLogLines(logs, 'rstudio', 10)).toBe('x name=rstudio state=starting\n[rstudio] ! crash');
    expect(appLogLines(logs, 'nothing', 2)).toBe('[rstudio] ! crash\nother');
  });

  it('judges a stop', () => {
    expect(judgeStop({ ms: 500, running: false, exitCode: 0 })).toBeNull();
    expect(judgeStop({ ms: 500, running: false, exitCode: 143 })).toBeNull();
    expect(judgeStop({ ms: 10_200, running: false, exitCode: 137 })).toMatch(/137.*killed/);
    expect(judgeStop({ ms: 500, running: true, exitCode: 0 })).toMatch(/still runs/);
    expect(judgeStop(null)).toMatch(/never asked/);
  });

  it('reads the image PATH, the manifest apps, the command and docker logs', () => {
    expect(pathDirs(['A=1', 'PATH=/opt/x/bin:/usr/bin'])).toEqual(['/opt/x/bin', '/usr/bin']);
    expect(pathDirs(undefined)).toContain('/usr/bin');
    expect(parseManifestApps('{"apps":[{"name":"a"},{"nope":1}]}')).toEqual([{ name: 'a' }]);
    expect(parseManifestApps('{}')).toEqual([]);
    const spawn: SpawnRequest = {
      user: 'a',
      server: '',
      env: {},
      cmd: ['jupyterhub-singleuser'],
      args: ['--x'],
      prefix: '/user/a/',
    };
    expect(containerCommand(spawn, false)).toEqual(['jupyterhub-singleuser', '--x']);
    expect(containerCommand(spawn, true)).toBeUndefined();
    const frame = (kind: number, text: string): Buffer => {
      const head = Buffer.alloc(8);
      head[0] = kind;
      head.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([head, Buffer.from(text)]);
    };
    expect(demux(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')]))).toBe('out\nerr\n');
    expect(demux(Buffer.from('plain text log'))).toBe('plain text log');
  });
});

describe('hubify test command line', () => {
  it('rejects a bad --timeout as usage', async () => {
    let stderr = '';
    const code = await main(['test', 'img', '--timeout', '0'], {
      stdout: () => undefined,
      stderr: (text) => void (stderr += text),
      env: {},
    });
    expect(code).toBe(2);
    expect(stderr).toContain('HUBIFY_USAGE');
  });
});
