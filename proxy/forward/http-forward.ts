/**
 * Forwards one HTTP request to an app and streams the answer back. Bodies are streamed both ways with
 * backpressure and never buffered; a client that goes away aborts the upstream request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Pool } from './undici-core.ts';
import { buildDownstreamHeaders, type RewriteFacts } from './response-headers.ts';

export type ForwardFailure = 'unreachable' | 'timeout' | 'aborted' | 'error';

export class ForwardError extends Error {
  readonly failure: ForwardFailure;
  readonly code: string;
  constructor(failure: ForwardFailure, code: string, message: string) {
    super(message);
    this.failure = failure;
    this.code = code;
  }
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOENT',
  'EHOSTUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

function classify(error: unknown): ForwardError {
  const code = (error as { code?: string }).code ?? 'ERROR';
  const message = (error as Error).message;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT')
    return new ForwardError('timeout', code, message);
  if (code === 'UND_ERR_ABORTED' || (error as Error).name === 'AbortError')
    return new ForwardError('aborted', code, message);
  if (UNREACHABLE.has(code)) return new ForwardError('unreachable', code, message);
  return new ForwardError('error', code, message);
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export interface HttpForwardOptions {
  pool: Pool;
  /** Path and query the app receives. */
  path: string;
  headers: Record<string, string | string[]>;
  timeoutMs: number;
  rewrite: RewriteFacts;
}

/**
 * Resolves with the app's status once the response has been fully sent. Rejects with ForwardError only
 * before any byte of the response was written (so the caller can still send an error page). undici's
 * `stream` writes the app's body straight into the response (no intermediate Readable, no pipeline).
 */
export async function forwardHttp(
  req: IncomingMessage,
  res: ServerResponse,
  options: HttpForwardOptions,
): Promise<number> {
  const abort = new AbortController();
  const onClose = (): void => {
    if (!res.writableFinished) abort.abort();
  };
  res.once('close', onClose);
  let status = 0;
  try {
    await options.pool.stream(
      {
        method: req.method as 'GET',
        path: options.path,
        headers: options.headers,
        body: hasBody(req) ? req : null,
        signal: abort.signal,
        headersTimeout: options.timeoutMs,
        bodyTimeout: 0,
      },
      ({ statusCode, headers }) => {
        status = statusCode;
        res.writeHead(statusCode, buildDownstreamHeaders(headers, options.rewrite));
        return res;
      },
    );
  } catch (error) {
    // Before the answer started the caller can still send an error page; after, nothing can be sent.
    if (!res.headersSent) throw classify(error);
    res.destroy();
  } finally {
    res.off('close', onClose);
  }
  return status;
}
