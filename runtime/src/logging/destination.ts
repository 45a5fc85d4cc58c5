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
   * Hold lines until this many bytes are buffered, then write them together (far fewer write
   * calls under load); lines never wait longer than `flushIntervalMs`.
   * @default 0: write as soon as no write is in flight.
   */
  readonly bufferBytes?: number;
  /** With `bufferBytes`, the longest a line waits before it is written. @default 1000 */
  readonly flushIntervalMs?: number;
}

/**
 * The buffering of the runtime's default (stdout) destination: 16 KB writes, no line held longer
 * than 50 ms. Each asynchronous write hands its buffer to libuv's thread pool, which costs several
 * microseconds of CPU; under load, one handoff per ~60 access-log lines instead of one per line or
 * two is most of what makes the access log cheap (bench/README.md).
 */
export const DEFAULT_LOG_BUFFERING: Required<LogDestinationOptions> = { bufferBytes: 16 * 1024, flushIntervalMs: 50 };

/** sonic-boom's default largest single write; it must stay above the buffer size. */
const MAX_WRITE = 16 * 1024;

interface SonicInternals {
  _len?: unknown;
  _hwm?: unknown;
  minLength: number;
  destroyed?: boolean;
  write(data: string | Buffer): boolean;
  flush(cb?: (err?: Error | null) => void): void;
  flushSync(): void;
  end(): void;
}

/**
 * Buffered mode: lines are appended to one string, which is turned into a Buffer and handed to
 * sonic-boom once it holds `bufferBytes` (one conversion per write instead of one per line;
 * sonic-boom's own string mode measures the whole pending string again on every line). flush,
 * flushSync and end hand the held text over first, so flushLogs(), the exit hook and pino's
 * synchronous flush after a `fatal` line write it too. A one-shot timer, armed when a line is held
 * and nothing is being written, bounds how long a line waits. No timer runs while nothing is held.
 */
function bufferLines(destination: LogDestination, bufferBytes: number, flushIntervalMs: number): void {
  const sonic = destination as unknown as SonicInternals;
  const writeBuffer = sonic.write.bind(sonic);
  if (typeof sonic._len !== 'number') {
    // Not the sonic-boom this was written for: no way to know what is pending, so don't hold lines.
    sonic.minLength = 0;
    sonic.write = (data) => writeBuffer(typeof data === 'string' ? Buffer.from(data) : data);
    return;
  }
  const flush = sonic.flush.bind(sonic);
  const flushSync = sonic.flushSync.bind(sonic);
  const end = sonic.end.bind(sonic);
  const highWaterMark = typeof sonic._hwm === 'number' ? sonic._hwm : bufferBytes;
  // String length counts UTF-16 units, not bytes: the batch is bufferBytes characters, at most
  // 3 × bufferBytes bytes, still below the largest single write (maxWrite, 4 × bufferBytes).
  let held = '';
  const handOver = (): boolean => {
    const text = held;
    held = '';
    return writeBuffer(Buffer.from(text));
  };
  const pending = (): boolean => (held.length > 0 || (sonic._len as number) > 0) && !sonic.destroyed;
  let timer: NodeJS.Timeout | undefined;
  const flushNow = (): void => {
    timer = undefined;
    if (pending()) sonic.flush();
  };
  const arm = (): void => {
    if (timer === undefined && pending()) {
      timer = setTimeout(flushNow, flushIntervalMs);
      timer.unref(); // an exiting process flushes synchronously (flushLogs on 'exit')
    }
  };
  sonic.write = (data) => {
    if (sonic.destroyed) return writeBuffer(Buffer.from(data)); // sonic-boom throws its own error
    let ok: boolean;
    if (typeof data === 'string') {
      held += data;
      ok = held.length >= bufferBytes ? handOver() : (sonic._len as number) + held.length < highWaterMark;
    } else {
      if (held.length > 0) handOver(); // keep the order of lines
      ok = writeBuffer(data);
    }
    arm();
    return ok;
  };
  sonic.flush = (cb) => {
    if (held.length > 0 && !sonic.destroyed) handOver();
    flush(cb);
  };
  sonic.flushSync = () => {
    if (held.length > 0 && !sonic.destroyed) handOver();
    flushSync();
  };
  sonic.end = () => {
    if (held.length > 0 && !sonic.destroyed) handOver();
    end();
  };
  // A write that ends with less than bufferBytes left stops there: make sure the rest goes out too.
  destination.on('drain', arm);
  destination.once('close', () => clearTimeout(timer));
}

/**
 * An asynchronous, buffered destination (cheaper than a synchronous write per line: lines logged
 * while a write is in flight go out together in the next one). What is still buffered is written
 * by `flushLogs()`, which runs on process exit, and pino flushes after every `fatal` line.
 * `target`: a file descriptor (default 1, stdout) or a file path, opened synchronously for
 * appending so that a flush never finds it unopened.
 */
export function createLogDestination(target: number | string = 1, options: LogDestinationOptions = {}): LogDestination {
  const fd = typeof target === 'number' ? target : openSync(target, 'a');
  const bufferBytes = options.bufferBytes ?? 0;
  const destination =
    bufferBytes > 0
      ? pino.destination({ fd, sync: false, minLength: bufferBytes, maxWrite: Math.max(MAX_WRITE, 4 * bufferBytes), contentMode: 'buffer' })
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
