import type { Readable } from 'node:stream';

import { LOG_LINE_MAX_CHARS } from './log-ring.ts';

/**
 * Calls `onLine` for every line of `stream` (without `\n` or `\r\n`); resolves when the stream ends.
 * A partial line is flushed once it is far past the ring's line limit, so output without newlines
 * (progress bars) stays bounded too.
 */
export function forEachLine(stream: Readable, onLine: (line: string) => void): Promise<void> {
  stream.setEncoding('utf8');
  let pending = '';
  const emit = (line: string): void => onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      emit(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
    if (pending.length > 4 * LOG_LINE_MAX_CHARS) {
      emit(pending);
      pending = '';
    }
  });
  return new Promise((resolve) => {
    // 'close' also comes after an error, and a broken pipe must not leave the start waiting.
    stream.once('close', () => {
      if (pending !== '') emit(pending);
      pending = '';
      resolve();
    });
  });
}
