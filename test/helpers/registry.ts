// A real OCI registry for tests: Debian's `docker-registry` (distribution 2.8) on 127.0.0.1 and a
// free port, its config YAML and storage in a temporary directory, started and stopped by PID. With
// `htpasswd` it asks for Basic auth; with `token` it asks for Bearer tokens from the issuer given
// (realm, service, issuer and the certificate that signs the tokens).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { getFreePort, LOOPBACK } from './free-port.ts';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';

export interface RegistryOptions {
  /** An htpasswd file's content (bcrypt lines): Basic auth. */
  htpasswd?: string;
  /** Bearer tokens: distribution's `auth.token` settings (the certificate bundle as PEM text). */
  token?: { realm: string; service: string; issuer: string; rootCertificatePem: string };
}

export interface RunningRegistry {
  /** 127.0.0.1:PORT */
  host: string;
  pid: number;
  stop: () => Promise<void>;
  /** What the registry printed (for failures). */
  log: () => string;
}

async function answers(host: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status === 200 || response.status === 401;
  } catch {
    return false;
  }
}

export async function startRegistry(options: RegistryOptions = {}): Promise<RunningRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'hubify-registry-'));
  const port = await getFreePort();
  const host = `${LOOPBACK}:${port}`;
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(dir, 'data') }, delete: { enabled: true } },
    http: { addr: host, secret: randomBytes(16).toString('hex') },
  };
  if (options.htpasswd !== undefined) {
    await writeFile(join(dir, 'htpasswd'), options.htpasswd);
    config.auth = { htpasswd: { realm: 'hubify-test', path: join(dir, 'htpasswd') } };
  }
  if (options.token !== undefined) {
    await writeFile(join(dir, 'token-ca.pem'), options.token.rootCertificatePem);
    config.auth = {
      token: {
        realm: options.token.realm,
        service: options.token.service,
        issuer: options.token.issuer,
        rootcertbundle: join(dir, 'token-ca.pem'),
      },
    };
  }
  await writeFile(join(dir, 'config.yml'), stringify(config));
  const child: ChildProcess = spawn(REGISTRY_BINARY, ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exited = false;
  child.on('exit', () => (exited = true));
  const stop = async (): Promise<void> => {
    if (!exited && child.pid !== undefined) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      process.kill(child.pid, 'SIGTERM');
      await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (!exited) process.kill(child.pid, 'SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  while (!(await answers(host))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`${REGISTRY_BINARY} did not answer on ${host}: ${output.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { host, pid: child.pid ?? 0, stop, log: () => output };
}

export interface TokenIssuer {
  realm: string;
  service: string;
  issuer: string;
  rootCertificatePem: string;
  /** Token requests answered, with whether they carried the right credentials. */
  requests: { scopes: string[]; authenticated: boolean }[];
  stop: () => Promise<void>;
}

function runOpenssl(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`openssl ${args.join(' ')}: ${stderr}`)),
    );
  });
}

/**
 * A Bearer token issuer as the distribution token spec describes it (what Docker Hub's auth service
 * does): GET realm?service=S&scope=repository:NAME:ACTIONS..., Basic credentials checked, a JWT signed
 * RS256 with a key whose self-signed certificate (made with openssl) rides in the `x5c` header and is
 * the registry's `rootcertbundle`; or POST with an OAuth2 refresh-token grant (an identity token).
 * Right credentials get every action asked for; anyone else none.
 */
export async function startTokenIssuer(credentials: {
  /** Accepted as an OAuth2 refresh token (POST to the realm), as an identity token is sent. */
  identityToken?: string;
  user: string;
  password: string;
}): Promise<TokenIssuer> {
  const { createServer } = await import('node:http');
  const { readFile } = await import('node:fs/promises');
  const { SignJWT, importPKCS8 } = await import('jose');
  const dir = await mkdtemp(join(tmpdir(), 'hubify-token-issuer-'));
  await runOpenssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=hubify-test-token-issuer',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
  ]);
  const certificatePem = await readFile(join(dir, 'cert.pem'), 'utf8');
  const keyPem = await readFile(join(dir, 'key.pem'), 'utf8');
  const key = await importPKCS8(
    keyPem
      .replace('BEGIN RSA PRIVATE KEY', 'BEGIN PRIVATE KEY')
      .replace('END RSA PRIVATE KEY', 'END PRIVATE KEY'),
    'RS256',
  );
  const der = certificatePem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
  const service = 'hubify-test-registry';
  const issuer = 'hubify-test-token-issuer';
  const requests: TokenIssuer['requests'] = [];
  const expected = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;
  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://issuer');
      let scopes = url.searchParams.getAll('scope');
      let authenticated = request.headers.authorization === expected;
      if (request.method === 'POST') {
        // OAuth2 refresh-token grant: an identity token (docker config.json `identitytoken`).
        let body = '';
        for await (const chunk of request) body += (chunk as Buffer).toString();
        const form = new URLSearchParams(body);
        scopes = (form.get('scope') ?? '').split(' ').filter((scope) => scope !== '');
        authenticated =
          form.get('grant_type') === 'refresh_token' &&
          form.get('refresh_token') === credentials.identityToken;
      }
      requests.push({ scopes, authenticated });
      const access = authenticated
        ? scopes.map((scope) => {
            const [type, ...rest] = scope.split(':');
            const actions = rest.pop() ?? '';
            return { type, name: rest.join(':'), actions: actions.split(',') };
          })
        : [];
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ access })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', x5c: [der] })
        .setIssuer(issuer)
        .setSubject(authenticated ? credentials.user : '')
        .setAudience(url.searchParams.get('service') ?? service)
        .setIssuedAt(now)
        .setNotBefore(now - 10)
        .setExpirationTime(now + 300)
        .setJti(randomBytes(8).toString('hex'))
        .sign(key);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          token,
          access_token: token,
          expires_in: 300,
          issued_at: new Date(now * 1000).toISOString(),
        }),
      );
    })().catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  const port = await getFreePort();
  await new Promise<void>((resolve) => server.listen(port, LOOPBACK, resolve));
  return {
    realm: `http://${LOOPBACK}:${port}/token`,
    service,
    issuer,
    rootCertificatePem: certificatePem,
    requests,
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
