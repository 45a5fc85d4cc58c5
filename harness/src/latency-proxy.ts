/**
 * A TCP proxy on 127.0.0.1 that stands in for a slow or broken network in front of a real
 * server: every chunk, in both directions, is delivered `latency` ms after it arrived (in
 * order), and `setDown(true)` drops every connection and refuses new ones.
 */
import { createConnection, createServer, type Socket } from 'node:net';

export interface LatencyProxy {
  /** The port the proxy listens on (127.0.0.1). */
  readonly port: number;
  /** Delay applied to every chunk received from now on, in ms. */
  setLatency(ms: number): void;
  /** true: close every open connection and refuse new ones; false: accept again. */
  setDown(down: boolean): void;
  /** Closes every connection and the listener. */
  close(): Promise<void>;
}

export interface LatencyProxyOptions {
  readonly targetPort: number;
  readonly targetHost?: string;
  readonly latencyMs?: number;
}

type Item = { readonly dueAt: number; readonly chunk: Buffer | null /* null: end of stream */ };

/** Moves data from one socket to another, each chunk held until its due time; one timer per direction keeps order. */
class DelayedPipe {
  private readonly queue: Item[] = [];
  private timer: NodeJS.Timeout | undefined;
  private waitingForDrain = false;
  /** The source ended cleanly (FIN); its end is queued for the other side. */
  sawEnd = false;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly latency: () => number,
  ) {
    from.on('data', (chunk: Buffer) => this.push(chunk));
    from.on('end', () => {
      this.sawEnd = true;
      this.push(null);
    });
  }

  private push(chunk: Buffer | null): void {
    const ms = this.latency();
    if (ms <= 0 && this.queue.length === 0) {
      this.deliver(chunk);
      return;
    }
    // A chunk never overtakes an earlier one, even if the latency was lowered in between.
    const last = this.queue[this.queue.length - 1];
    this.queue.push({ dueAt: Math.max(Date.now() + ms, last?.dueAt ?? 0), chunk });
    this.arm();
  }

  private arm(): void {
    if (this.timer || this.queue.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = Date.now();
      while (this.queue.length && this.queue[0].dueAt <= now) this.deliver(this.queue.shift()!.chunk);
      this.arm();
    }, Math.max(0, this.queue[0].dueAt - Date.now()));
  }

  private deliver(chunk: Buffer | null): void {
    if (this.to.destroyed) return;
    if (chunk === null) {
      this.to.end();
      return;
    }
    if (!this.to.write(chunk) && !this.waitingForDrain) {
      this.waitingForDrain = true;
      this.from.pause();
      this.to.once('drain', () => {
        this.waitingForDrain = false;
        this.from.resume();
      });
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }
}

export function startLatencyProxy(options: LatencyProxyOptions): Promise<LatencyProxy> {
  const targetHost = options.targetHost ?? '127.0.0.1';
  let latency = options.latencyMs ?? 0;
  let down = false;
  const connections = new Set<{ destroy(): void }>();

  // Half-open sockets let each side's end travel (delayed) after its data instead of cutting it off.
  const server = createServer({ allowHalfOpen: true }, (client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: targetHost, port: options.targetPort, allowHalfOpen: true });
    const pipes = [new DelayedPipe(client, upstream, () => latency), new DelayedPipe(upstream, client, () => latency)];
    const connection = {
      destroy() {
        for (const p of pipes) p.stop();
        client.destroy();
        upstream.destroy();
        connections.delete(connection);
      },
    };
    connections.add(connection);
    // An error, or a side closing without a clean end, drops the pair: the other side sees the connection break,
    // as in a real outage. A clean end travels (delayed) to the other side, which then closes in its own time.
    const closed = new Set<Socket>();
    for (const [socket, pipeFromIt] of [[client, pipes[0]], [upstream, pipes[1]]] as const) {
      socket.on('error', () => connection.destroy());
      socket.on('close', () => {
        closed.add(socket);
        if (closed.size === 2 || !pipeFromIt.sawEnd) connection.destroy();
      });
    }
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (!address || typeof address === 'string') {
        reject(new Error('latency proxy: no TCP address'));
        return;
      }
      resolve({
        port: address.port,
        setLatency(ms: number) {
          if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`latency must be a number of ms >= 0, got ${ms}`);
          latency = ms;
        },
        setDown(value: boolean) {
          down = value;
          if (down) for (const c of [...connections]) c.destroy();
        },
        close() {
          for (const c of [...connections]) c.destroy();
          return new Promise<void>((r) => server.close(() => r()));
        },
      });
    });
  });
}
