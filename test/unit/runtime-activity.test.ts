// Activity (proxy/activity.ts): the tracker, which requests count, and the reporter posting the true
// last-activity time through HubApi.postActivity to a real loopback server that plays a hub which
// fails (500, hang, reset, refused) and recovers.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import {
  ActivityReporter,
  ActivityTracker,
  countsAsActivity,
  type ActivityReporterOptions,
} from '../../proxy/activity.ts';
import { HubApi } from '../../proxy/hub-api.ts';
import { createLogger, type Logger } from '../../proxy/log.ts';

type Mode = 'ok' | '500' | 'hang' | 'reset';

interface Seen {
  at: number;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A loopback hub whose activity endpoint answers according to `mode` (or a per-request plan). */
class ActivityHub {
  readonly seen: Seen[] = [];
  mode: Mode = 'ok';
  /** Modes for the next requests, consumed first. */
  plan: Mode[] = [];
  private readonly hanging: ServerResponse[] = [];
  private server: Server;
  port = 0;

  constructor() {
    this.server = this.create();
  }

  private create(): Server {
    return createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        this.seen.push({ at: Date.now(), url: req.url ?? '', headers: req.headers, body });
        const mode = this.plan.shift() ?? this.mode;
        if (mode === 'ok') {
          res.writeHead(200);
          res.end();
        } else if (mode === '500') {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end('{"status": 500, "message": "Internal Server Error"}');
        } else if (mode === 'reset') {
          req.socket.destroy();
        } else {
          this.hanging.push(res);
        }
      });
    });
  }

  async start(port = 0): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Drop hanging requests (their clients see a reset). */
  dropHanging(): void {
    for (const res of this.hanging.splice(0)) res.socket?.destroy();
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/hub/api`;
  }

  get activityUrl(): string {
    return `${this.apiUrl}/users/alice/activity`;
  }

  async stop(): Promise<void> {
    this.dropHanging();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
    this.server = this.create();
  }
}

function collectingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger('debug', (line) => lines.push(line)), lines };
}

const hub = new ActivityHub();
const apis: HubApi[] = [];

function hubApi(apiUrl = hub.apiUrl): HubApi {
  const api = new HubApi({ apiUrl, apiToken: 'server-token', tls: null });
  apis.push(api);
  return api;
}

function reporterFor(
  tracker: ActivityTracker,
  options: Partial<ActivityReporterOptions> & { activityUrl?: string; serverName?: string } = {},
) {
  const api = hubApi();
  const { logger, lines } = collectingLogger();
  const activityUrl = options.activityUrl ?? hub.activityUrl;
  const reporter = new ActivityReporter({
    tracker,
    intervalSeconds: 300,
    post: (last, signal) => api.postActivity(activityUrl, options.serverName ?? '', last, signal),
    logger,
    retry: { firstDelayMs: 20, maxDelayMs: 100, giveUpAfterMs: 1000 },
    ...options,
  });
  return { reporter, lines };
}

function expectedBody(serverName: string, when: Date): string {
  const ts = when.toISOString();
  return JSON.stringify({ servers: { [serverName]: { last_activity: ts } }, last_activity: ts });
}

beforeAll(() => hub.start());
afterAll(() => hub.stop());
afterEach(async () => {
  vi.useRealTimers();
  hub.dropHanging();
  hub.seen.length = 0;
  hub.mode = 'ok';
  hub.plan = [];
  await Promise.all(apis.splice(0).map((api) => api.close()));
});

describe('ActivityTracker', () => {
  it('starts empty and remembers the latest time only', () => {
    const tracker = new ActivityTracker();
    expect(tracker.lastActivity).toBeNull();
    expect(tracker.lastActivityMs).toBe(0);
    tracker.touch(1_000);
    tracker.touch(5_000);
    tracker.touch(3_000); // out of order: ignored
    expect(tracker.lastActivityMs).toBe(5_000);
    expect(tracker.lastActivity).toEqual(new Date(5_000));
  });

  it('defaults to now', () => {
    const tracker = new ActivityTracker();
    const before = Date.now();
    tracker.touch();
    expect(tracker.lastActivityMs).toBeGreaterThanOrEqual(before);
    expect(tracker.lastActivityMs).toBeLessThanOrEqual(Date.now());
  });
});

describe('countsAsActivity', () => {
  it('counts every request when enabled and nothing is excluded', () => {
    expect(countsAsActivity('/anything', true, [])).toBe(true);
  });
  it('counts nothing when disabled', () => {
    expect(countsAsActivity('/anything', false, [])).toBe(false);
  });
  it('skips excluded paths (polling endpoints)', () => {
    const exclude = [/^\/events\/get_events/, /\/api\/status$/];
    expect(countsAsActivity('/events/get_events?x', true, exclude)).toBe(false);
    expect(countsAsActivity('/x/api/status', true, exclude)).toBe(false);
    expect(countsAsActivity('/rpc/open_file', true, exclude)).toBe(true);
  });
});

describe('ActivityReporter.reportOnce against a loopback hub', () => {
  it('posts the true last-activity time (not now) with the exact body and the server token', async () => {
    const tracker = new ActivityTracker();
    const when = new Date(Date.now() - 7 * 60_000 + 123);
    tracker.touch(when.getTime());
    const { reporter } = reporterFor(tracker);
    await reporter.reportOnce();
    expect(hub.seen).toHaveLength(1);
    const seen = hub.seen[0];
    expect(seen?.url).toBe('/hub/api/users/alice/activity');
    expect(seen?.headers.authorization).toBe('token server-token');
    expect(seen?.headers['content-type']).toBe('application/json');
    expect(seen?.body).toBe(expectedBody('', when));
    expect(JSON.parse(seen?.body ?? '')).toEqual({
      servers: { '': { last_activity: when.toISOString() } },
      last_activity: when.toISOString(),
    });
    expect(reporter.lastReported).toEqual(when);
    expect(reporter.stats).toEqual({ posted: 1, failed: 0, skipped: 0 });
  });

  it('names the server for named servers', async () => {
    const tracker = new ActivityTracker();
    tracker.touch(1_700_000_000_000);
    const { reporter } = reporterFor(tracker, { serverName: 'gpu' });
    await reporter.reportOnce();
    expect(hub.seen[0]?.body).toBe(expectedBody('gpu', new Date(1_700_000_000_000)));
  });

  it('does not post when there was no activity, or nothing new since the last report', async () => {
    const tracker = new ActivityTracker();
    const { reporter } = reporterFor(tracker);
    await reporter.reportOnce();
    expect(hub.seen).toHaveLength(0);
    tracker.touch(Date.now() - 1000);
    await reporter.reportOnce();
    await reporter.reportOnce();
    await reporter.reportOnce();
    expect(hub.seen).toHaveLength(1);
    expect(reporter.stats).toEqual({ posted: 1, failed: 0, skipped: 3 });
    // New activity is reported once.
    const later = Date.now();
    tracker.touch(later);
    await reporter.reportOnce();
    expect(hub.seen).toHaveLength(2);
    expect(hub.seen[1]?.body).toBe(expectedBody('', new Date(later)));
  });

  it('retries after 500s with growing delays, then succeeds with the same timestamp', async () => {
    const tracker = new ActivityTracker();
    const when = new Date(Date.now() - 60_000);
    tracker.touch(when.getTime());
    hub.plan = ['500', '500', '500'];
    const { reporter, lines } = reporterFor(tracker, {
      retry: { firstDelayMs: 50, maxDelayMs: 1000, giveUpAfterMs: 5000 },
    });
    await reporter.reportOnce();
    expect(hub.seen).toHaveLength(4);
    for (const seen of hub.seen) expect(seen.body).toBe(expectedBody('', when));
    const gaps = hub.seen.slice(1).map((seen, i) => seen.at - (hub.seen[i]?.at ?? 0));
    // 50, 100, 200 ms (plus request time).
    expect(gaps[0]).toBeGreaterThanOrEqual(45);
    expect(gaps[1]).toBeGreaterThanOrEqual(95);
    expect(gaps[2]).toBeGreaterThanOrEqual(195);
    expect(gaps[1] ?? 0).toBeGreaterThan(gaps[0] ?? 0);
    expect(gaps[2] ?? 0).toBeGreaterThan(gaps[1] ?? 0);
    expect(reporter.stats).toEqual({ posted: 1, failed: 3, skipped: 0 });
    expect(reporter.lastReported).toEqual(when);
    // One warning line per failure, saying when it retries.
    const warnings = lines.filter((line) => line.includes(' warn '));
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/activity report failed .*retry_in_ms=50/);
    expect(warnings[1]).toMatch(/retry_in_ms=100/);
    expect(warnings[2]).toMatch(/retry_in_ms=200/);
    expect(warnings[0]).toMatch(/500/);
  });

  it('caps the delay at maxDelayMs and gives up within its budget, then succeeds on the next cycle', async () => {
    const tracker = new ActivityTracker();
    const when = new Date(Date.now() - 1_000);
    tracker.touch(when.getTime());
    hub.mode = '500';
    const { reporter } = reporterFor(tracker, {
      retry: { firstDelayMs: 20, maxDelayMs: 60, giveUpAfterMs: 500 },
    });
    const started = Date.now();
    await reporter.reportOnce();
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(500 + 200);
    expect(reporter.stats.posted).toBe(0);
    expect(reporter.lastReported).toBeNull();
    // The last attempt is aborted when the budget runs out; it may still reach the hub a moment later.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const attempts = hub.seen.length;
    expect(attempts).toBeGreaterThanOrEqual(5);
    const gaps = hub.seen.slice(1).map((seen, i) => seen.at - (hub.seen[i]?.at ?? 0));
    for (const gap of gaps.slice(2)) {
      expect(gap).toBeGreaterThanOrEqual(55);
      expect(gap).toBeLessThan(60 + 150);
    }

    hub.mode = 'ok';
    await reporter.reportOnce();
    expect(hub.seen).toHaveLength(attempts + 1);
    expect(hub.seen.at(-1)?.body).toBe(expectedBody('', when));
    expect(reporter.lastReported).toEqual(when);
  });

  it('gives up within its budget when connections are reset, then succeeds', async () => {
    const tracker = new ActivityTracker();
    tracker.touch(Date.now() - 5_000);
    hub.mode = 'reset';
    const { reporter } = reporterFor(tracker, {
      retry: { firstDelayMs: 20, maxDelayMs: 80, giveUpAfterMs: 300 },
    });
    const started = Date.now();
    await reporter.reportOnce();
    expect(Date.now() - started).toBeLessThan(300 + 200);
    expect(reporter.stats.failed).toBeGreaterThanOrEqual(2);
    expect(reporter.stats.posted).toBe(0);
    hub.mode = 'ok';
    await reporter.reportOnce();
    expect(reporter.stats.posted).toBe(1);
  });

  it('gives up within its budget when the hub refuses connections, then succeeds once it is back', async () => {
    const down = new ActivityHub();
    await down.start();
    const port = down.port;
    await down.stop();
    const tracker = new ActivityTracker();
    const when = new Date(Date.now() - 2_000);
    tracker.touch(when.getTime());
    const api = hubApi(`http://127.0.0.1:${port}/hub/api`);
    const { logger, lines } = collectingLogger();
    const reporter = new ActivityReporter({
      tracker,
      intervalSeconds: 300,
      post: (last) => api.postActivity(`http://127.0.0.1:${port}/hub/api/users/alice/activity`, '', last),
      logger,
      retry: { firstDelayMs: 20, maxDelayMs: 80, giveUpAfterMs: 300 },
    });
    const started = Date.now();
    await reporter.reportOnce();
    expect(Date.now() - started).toBeLessThan(300 + 200);
    expect(reporter.stats.failed).toBeGreaterThanOrEqual(3);
    expect(lines.some((line) => /ECONNREFUSED|did not answer/.test(line))).toBe(true);

    await down.start(port);
    try {
      await reporter.reportOnce();
      expect(reporter.stats.posted).toBe(1);
      expect(down.seen.map((seen) => seen.body)).toEqual([expectedBody('', when)]);
    } finally {
      await down.stop();
    }
  });

  it('gives up within its budget when the hub hangs, then succeeds on the next cycle', async () => {
    const tracker = new ActivityTracker();
    const when = new Date(Date.now() - 3_000);
    tracker.touch(when.getTime());
    hub.mode = 'hang';
    const budget = 300;
    const { reporter } = reporterFor(tracker, {
      retry: { firstDelayMs: 20, maxDelayMs: 80, giveUpAfterMs: budget },
    });
    const started = Date.now();
    const cycle = reporter.reportOnce();
    const outcome = await Promise.race([
      cycle.then(() => 'settled'),
      new Promise<string>((resolve) => setTimeout(() => resolve('still waiting'), budget + 1500)),
    ]);
    const elapsed = Date.now() - started;
    // Clean up before asserting: drop the hanging request so the cycle ends.
    hub.mode = 'ok';
    hub.dropHanging();
    await cycle;
    expect(outcome, `reportOnce was still running ${elapsed} ms into a ${budget} ms budget`).toBe('settled');
    await reporter.reportOnce();
    expect(reporter.lastReported).toEqual(when);
  });

  it('keeps one pending timestamp: after an outage only the latest time is posted, once', async () => {
    const tracker = new ActivityTracker();
    hub.mode = '500';
    const { reporter } = reporterFor(tracker, {
      retry: { firstDelayMs: 5, maxDelayMs: 5, giveUpAfterMs: 12 },
    });
    const base = Date.now() - 100_000;
    for (let cycle = 0; cycle < 5; cycle++) {
      for (let i = 0; i < 200; i++) tracker.touch(base + cycle * 1000 + i);
      await reporter.reportOnce();
    }
    // Attempts aborted at the end of a cycle's budget may still reach the hub a moment later.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const failedPosts = hub.seen.length;
    expect(failedPosts).toBeGreaterThanOrEqual(5);
    // Each failed post carried only the newest time of its cycle.
    expect(new Set(hub.seen.map((seen) => seen.body)).size).toBe(5);
    // No queue or history anywhere in the reporter's state.
    for (const value of Object.values(reporter) as unknown[]) {
      expect(Array.isArray(value) || value instanceof Map || value instanceof Set).toBe(false);
    }
    expect(reporter.lastReported).toBeNull();

    hub.mode = 'ok';
    await reporter.reportOnce();
    await reporter.reportOnce();
    expect(hub.seen).toHaveLength(failedPosts + 1);
    expect(hub.seen.at(-1)?.body).toBe(expectedBody('', new Date(base + 4 * 1000 + 199)));
    expect(reporter.lastReported).toEqual(new Date(base + 4199));
  });

  it('stops retrying once stopped', async () => {
    const tracker = new ActivityTracker();
    tracker.touch(Date.now() - 1000);
    hub.mode = '500';
    const { reporter } = reporterFor(tracker, {
      retry: { firstDelayMs: 5_000, maxDelayMs: 5_000, giveUpAfterMs: 60_000 },
    });
    reporter.stop();
    const started = Date.now();
    await reporter.reportOnce();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(hub.seen).toHaveLength(1);
    expect(reporter.stats).toEqual({ posted: 0, failed: 1, skipped: 0 });
  });
});

describe('ActivityReporter scheduling (fake timers, injected randomness)', () => {
  function scheduled(random: () => number) {
    const posts: Date[] = [];
    const tracker = new ActivityTracker();
    const reporter = new ActivityReporter({
      tracker,
      intervalSeconds: 10,
      post: (last) => {
        posts.push(last);
        return Promise.resolve();
      },
      logger: collectingLogger().logger,
      random,
    });
    return { posts, tracker, reporter };
  }

  it('reports every interval with ±10 % jitter and only when there is something new', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { posts, tracker, reporter } = scheduled(() => 0); // jitter factor 0.9
    tracker.touch(Date.now() - 1);
    reporter.start();
    await vi.advanceTimersByTimeAsync(8_999);
    expect(posts).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(posts).toHaveLength(1);
    // Nothing new: the next cycle posts nothing.
    await vi.advanceTimersByTimeAsync(9_000);
    expect(posts).toHaveLength(1);
    expect(reporter.stats.skipped).toBe(1);
    tracker.touch();
    await vi.advanceTimersByTimeAsync(9_000);
    expect(posts).toHaveLength(2);
    reporter.stop();
    tracker.touch(Date.now() + 5);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(posts).toHaveLength(2);
    await reporter.settle();
  });

  it('stretches the interval by up to 10 %', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { posts, tracker, reporter } = scheduled(() => 0.999_999); // jitter factor ~1.1
    tracker.touch(Date.now() - 1);
    reporter.start();
    await vi.advanceTimersByTimeAsync(10_990);
    expect(posts).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(20);
    expect(posts).toHaveLength(1);
    reporter.stop();
  });
});
