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
   * Hold lines until this many bytes are buffered (fewer write calls under load, but a quiet
   * service's lines wait up to `flushIntervalMs`). @default 0: write as soon as no write is in flight.
   */
  readonly bufferBytes?: number;
  /** With `bufferBytes`, also write what is buffered this often. @default 1000 */
  readonly flushIntervalMs?: number;
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
  const destination = pino.destination({
    fd,
    sync: false,
    minLength: bufferBytes,
    ...(bufferBytes > 0 ? { periodicFlush: options.flushIntervalMs ?? 1000 } : {}),
  });
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
