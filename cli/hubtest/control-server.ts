/**
 * The control server the hub's `HubifyTestSpawner` calls: POST /start, /poll, /stop with
 * `Authorization: Bearer <secret>` and a JSON body naming the user and server. Listens on 127.0.0.1
 * only; anything without the secret gets 401 and is never passed to the handler.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SpawnRequest {
  user: string;
  server: string;
  env: Record<string, string>;
  cmd: string[];
  args: string[];
  /** The server's URL prefix, e.g. `/user/alice/`. */
  prefix: string;
}

export interface ControlHandler {
  start(request: SpawnRequest): Promise<{ ip: string; port: number }>;
  /** null while running, else an exit status (0 when unknown). */
  poll(user: string, server: string): Promise<number | null>;
  stop(user: string, server: string, now: boolean): Promise<void>;
}

export interface ControlServer {
  url: string;
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;

/** True when `header` is exactly `Bearer <secret>` (compared in constant time). */
export function isAuthorized(header: string | undefined, secret: string): boolean {
  if (header === undefined || secret === '') return false;
  const expected = Buffer.from(`Bearer ${secret}`);
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const value: unknown = text === '' ? {} : JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('body must be a JSON object');
  return value as Record<string, unknown>;
}

const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

export function parseSpawnRequest(body: Record<string, unknown>): SpawnRequest {
  const env: Record<string, string> = {};
  if (typeof body.env === 'object' && body.env !== null) {
    for (const [key, value] of Object.entries(body.env)) env[key] = String(value);
  }
  if (str(body.user) === '') throw new Error('user is missing');
  return {
    user: str(body.user),
    server: str(body.server),
    env,
    cmd: strings(body.cmd),
    args: strings(body.args),
    prefix: str(body.prefix) || `/user/${str(body.user)}/`,
  };
}

export async function startControlServer(secret: string, handler: ControlHandler): Promise<ControlServer> {
  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(text);
    };
    if (!isAuthorized(req.headers.authorization, secret)) {
      send(401, { error: 'unauthorized' });
      req.resume();
      return;
    }
    if (req.method !== 'POST') {
      send(405, { error: 'POST only' });
      req.resume();
      return;
    }
    void (async () => {
      let body: Record<string, unknown>;
      try {
        body = await readJson(req);
      } catch (error) {
        send(400, { error: error instanceof Error ? error.message : String(error) });
        return;
      }
      try {
        switch (req.url) {
          case '/start':
            send(200, await handler.start(parseSpawnRequest(body)));
            return;
          case '/poll':
            send(200, { status: await handler.poll(str(body.user), str(body.server)) });
            return;
          case '/stop':
            await handler.stop(str(body.user), str(body.server), body.now === true);
            send(200, {});
            return;
          default:
            send(404, { error: `no such endpoint ${req.url ?? ''}` });
        }
      } catch (error) {
        send(500, { error: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
