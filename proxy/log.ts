/**
 * The runtime's logger: one line per event, `level event key=value ...`, to stderr.
 * Child app output is written through `appLine` so every line carries the app's name.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  level: LogLevel;
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A line of output from a supervised app, prefixed with the app's name. */
  appLine(app: string, stream: 'stdout' | 'stderr', line: string): void;
}

function formatValue(value: string | number | boolean | null): string {
  const text = String(value);
  return /^[\w./:@+-]*$/.test(text) && text !== '' ? text : JSON.stringify(text);
}

export function formatFields(fields: LogFields | undefined): string {
  if (!fields) return '';
  let out = '';
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    out += ` ${key}=${formatValue(value)}`;
  }
  return out;
}

export function createLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const logger: Logger = {
    level,
    debug: (event, fields) => emit('debug', event, fields),
    info: (event, fields) => emit('info', event, fields),
    warn: (event, fields) => emit('warn', event, fields),
    error: (event, fields) => emit('error', event, fields),
    appLine: (app, stream, line) => write(`[${app}] ${stream === 'stderr' ? '! ' : ''}${line}\n`),
  };
  function emit(at: LogLevel, event: string, fields?: LogFields): void {
    if (ORDER[at] < ORDER[logger.level]) return;
    write(`${new Date().toISOString()} ${at.padEnd(5)} hubify ${event}${formatFields(fields)}\n`);
  }
  return logger;
}

export function isLogLevel(value: string): value is LogLevel {
  return value in ORDER;
}
