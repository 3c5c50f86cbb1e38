/**
 * Runs a program of this machine (npm, strip, apt-get, dpkg-deb) and collects its output. A missing
 * program is reported as `missing: true`, not thrown, so callers can fall back or explain.
 */
import { spawn } from 'node:child_process';

export interface ToolResult {
  /** Exit code, or null when the program was killed or could not start. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** The program is not on PATH (ENOENT). */
  missing: boolean;
  /** The command line as run, for messages. */
  commandLine: string;
}

export interface ToolOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the program after this long (default 10 minutes). */
  timeoutMs?: number;
  /** Bytes written to the program's stdin. */
  input?: string;
}

export type ToolRunner = (
  command: string,
  args: readonly string[],
  options?: ToolOptions,
) => Promise<ToolResult>;

function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export const runTool: ToolRunner = (command, args, options = {}) =>
  new Promise((resolve) => {
    const commandLine = [command, ...args].map(quote).join(' ');
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    if (options.input !== undefined) child.stdin?.end(options.input);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    let missing = false;
    child.on('error', (error: NodeJS.ErrnoException) => {
      missing = error.code === 'ENOENT';
      err.push(Buffer.from(error.message));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        missing,
        commandLine,
      });
    });
  });

/** The last lines of a program's stderr (or stdout), for an error's detail. */
export function tail(result: ToolResult, lines = 8): string {
  const text = (result.stderr.trim() || result.stdout.trim()).split('\n');
  return text.slice(-lines).join('\n');
}
