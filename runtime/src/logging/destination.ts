import { openSync } from 'node:fs';
import pino, { type Logger } from 'pino';

/** pino's buffered destination (SonicBoom). */
export type LogDestination = ReturnType<typeof pino.destination>;

interface Flushable {
  flushSync?: () => void;
}

// Destinations made here, flushed together on process exit; removed when closed.
const liveDestinations = new Set<LogDestination>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: flushSync writes what is still buffered.
  process.on('exit', () => flushLogs());
}

export interface LogDestinationOptions {
  /**
   * Hold lines until this many bytes are buffered, then write them together, synchronously (far
   * fewer write calls under load); lines never wait longer than `flushIntervalMs`.
   * @default 0: no batching; each line is written asynchronously as soon as no write is in flight.
   */
  readonly bufferBytes?: number;
  /** With `bufferBytes`, the longest a line waits before it is written. @default 1000 */
  readonly flushIntervalMs?: number;
}

/**
 * The buffering of the runtime's default (stdout) destination: lines are collected into 16 KB
 * writes, and no line is held longer than 50 ms. One write(2) per ~60 access-log lines instead of
 * one per line is most of what makes the access log cheap (bench/README.md).
 */
export const DEFAULT_LOG_BUFFERING: Required<LogDestinationOptions> = { bufferBytes: 16 * 1024, flushIntervalMs: 50 };

/** sonic-boom's default largest single write; it must stay above any chunk handed to it. */
const MAX_WRITE = 16 * 1024;

interface SonicInternals {
  _len?: unknown;
  destroyed?: boolean;
  write(data: string | Buffer): boolean;
  flush(cb?: (err?: Error | null) => void): void;
  flushSync(): void;
  end(): void;
}

/**
 * Buffered mode: each line is encoded straight into a chunk (one UTF-8 copy per line; building one
 * long string and converting it at the end costs several times more), and the chunk is handed to
 * sonic-boom, which writes it synchronously, once it holds `bufferBytes`. Synchronous because the
 * writes are already batched: one write(2) of 16 KB costs far less CPU than handing each batch to
 * libuv's thread pool, and it is what Node.js itself does for stdout on pipes and files. flush,
 * flushSync and end hand the held bytes over first, so flushLogs(), the exit hook and pino's
 * synchronous flush after a `fatal` line write them too. A one-shot timer, armed when a line is
 * held, bounds how long it waits; no timer runs while nothing is held.
 */
function bufferLines(destination: LogDestination, bufferBytes: number, flushIntervalMs: number): void {
  const sonic = destination as unknown as SonicInternals;
  const writeBuffer = sonic.write.bind(sonic);
  if (typeof sonic._len !== 'number') {
    // Not the sonic-boom this was written for: no way to know what it holds, so don't hold lines.
    sonic.write = (data) => writeBuffer(typeof data === 'string' ? Buffer.from(data) : data);
    return;
  }
  const flush = sonic.flush.bind(sonic);
  const flushSync = sonic.flushSync.bind(sonic);
  const end = sonic.end.bind(sonic);
  // A UTF-16 unit takes at most 3 UTF-8 bytes: with room for 4 × bufferBytes, any line shorter
  // than bufferBytes fits once the chunk is below bufferBytes.
  const capacity = 4 * bufferBytes;
  let chunk = Buffer.allocUnsafe(capacity);
  let used = 0;
  const handOver = (): boolean => {
    if (used === 0) return true;
    const full = chunk.subarray(0, used);
    used = 0;
    const ok = writeBuffer(full);
    // Written already (the usual case): the chunk can be refilled. Otherwise sonic-boom still
    // holds part of it, so start a new one.
    if ((sonic._len as number) !== 0) chunk = Buffer.allocUnsafe(capacity);
    return ok;
  };
  let timer: NodeJS.Timeout | undefined;
  const flushNow = (): void => {
    timer = undefined;
    if (used > 0 && !sonic.destroyed) sonic.flush();
  };
  sonic.write = (data) => {
    if (sonic.destroyed) return writeBuffer(typeof data === 'string' ? Buffer.from(data) : data); // sonic-boom throws its own error
    if (typeof data !== 'string') {
      handOver(); // keep the order of lines
      return writeBuffer(data);
    }
    if (used + 3 * data.length > capacity) {
      handOver();
      if (3 * data.length > capacity) return writeBuffer(Buffer.from(data));
    }
    used += chunk.write(data, used);
    if (used >= bufferBytes) return handOver();
    if (timer === undefined) {
      timer = setTimeout(flushNow, flushIntervalMs);
      timer.unref(); // an exiting process flushes synchronously (flushLogs on 'exit')
    }
    return true;
  };
  sonic.flush = (cb) => {
    if (!sonic.destroyed) handOver();
    flush(cb);
  };
  sonic.flushSync = () => {
    if (!sonic.destroyed) handOver();
    flushSync();
  };
  sonic.end = () => {
    if (!sonic.destroyed) handOver();
    end();
  };
  destination.once('close', () => clearTimeout(timer));
}

/**
 * A pino destination. With `bufferBytes`: lines are batched and each batch written synchronously
 * (see DEFAULT_LOG_BUFFERING). Without: asynchronous, lines logged while a write is in flight go
 * out together in the next one. What is still buffered is written by `flushLogs()`, which runs on
 * process exit, and pino flushes after every `fatal` line.
 * `target`: a file descriptor (default 1, stdout) or a file path, opened synchronously for
 * appending so that a flush never finds it unopened.
 */
export function createLogDestination(target: number | string = 1, options: LogDestinationOptions = {}): LogDestination {
  const fd = typeof target === 'number' ? target : openSync(target, 'a');
  const bufferBytes = options.bufferBytes ?? 0;
  const destination =
    bufferBytes > 0
      ? pino.destination({ fd, sync: true, minLength: 0, maxWrite: Math.max(MAX_WRITE, 4 * bufferBytes), contentMode: 'buffer' })
      : pino.destination({ fd, sync: false, minLength: 0 });
  if (bufferBytes > 0) bufferLines(destination, bufferBytes, options.flushIntervalMs ?? 1000);
  liveDestinations.add(destination);
  destination.once('close', () => liveDestinations.delete(destination));
  installExitHook();
  return destination;
}

function flushStream(stream: Flushable | undefined): void {
  if (typeof stream?.flushSync !== 'function') return;
  try {
    stream.flushSync();
  } catch {
    // Not opened yet or already destroyed: nothing that can still be written.
  }
}

/**
 * Writes buffered log lines synchronously. With a logger: its destination; without: every
 * destination made by `createLogDestination`. Call it from shutdown and crash handlers.
 */
export function flushLogs(logger?: Logger): void {
  if (logger) {
    flushStream((logger as unknown as Record<symbol, Flushable | undefined>)[pino.symbols.streamSym]);
    return;
  }
  for (const destination of liveDestinations) flushStream(destination);
}
