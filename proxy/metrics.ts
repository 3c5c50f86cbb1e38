/**
 * Prometheus metrics at `<prefix>_hubify/metrics` (authenticated like everything else). prom-client's
 * registry keeps the exposition format right; only cheap counters are touched on the hot path.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export class RuntimeMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'hubify_requests_total',
    help: 'Requests answered, by route kind and status class.',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  readonly proxyErrors = new Counter({
    name: 'hubify_proxy_errors_total',
    help: 'Requests to apps that failed before a response, by app and reason.',
    labelNames: ['app', 'reason'] as const,
    registers: [this.registry],
  });
  readonly authentications = new Counter({
    name: 'hubify_auth_total',
    help: 'Authentication outcomes: allowed, denied (authenticated but no access), anonymous.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly websockets = new Gauge({
    name: 'hubify_websocket_connections',
    help: 'Open WebSocket (upgrade) tunnels to apps.',
    registers: [this.registry],
  });
  readonly appUp = new Gauge({
    name: 'hubify_app_running',
    help: '1 when the app is running, 0 otherwise.',
    labelNames: ['app'] as const,
    registers: [this.registry],
  });
  readonly appRestarts = new Gauge({
    name: 'hubify_app_restarts',
    help: 'Restarts of the app after crashes since it was last started by hand.',
    labelNames: ['app'] as const,
    registers: [this.registry],
  });
  readonly activityReports = new Gauge({
    name: 'hubify_activity_reports',
    help: 'Activity reports to the hub, by result (posted, failed, skipped).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly lastActivity = new Gauge({
    name: 'hubify_last_activity_timestamp_seconds',
    help: 'Time of the last user activity (Unix seconds), 0 before any.',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'hubify_' });
  }
}
