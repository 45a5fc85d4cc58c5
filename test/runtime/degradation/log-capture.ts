import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** A real pino logger writing JSON lines into memory, so tests can read exactly what would reach stdout. */
export function captureLogs(): { logger: Logger; lines: LogLine[]; text: () => string } {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        raw.push(line);
        lines.push(JSON.parse(line) as LogLine);
      }
      done();
    },
  });
  const logger = pino({ level: 'debug' }, destination);
  return { logger, lines, text: () => raw.join('\n') };
}

export const PINO_LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;
