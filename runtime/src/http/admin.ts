import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RuntimeMetrics } from '../metrics/registry';
import { createHealthEndpoints, type HealthSource } from './health';
import { ADMIN_DEFAULT_HOST, ADMIN_ENV } from './paths';
import { sendJson } from './respond';

/** Where the admin listener binds. */
export interface AdminListenOptions {
  /** @default ADMIN_HOST from the environment, else 127.0.0.1 */
  readonly host?: string;
  /** 0 picks a free port. @default ADMIN_PORT from the environment, else the declaration's `admin.port` */
  readonly port?: number;
}

/** The admin listener's address once it listens. */
export interface AdminAddress {
  readonly host: string;
  readonly port: number;
  /** e.g. `http://127.0.0.1:9464` (IPv6 hosts in brackets). */
  readonly url: string;
}

/** Reads ADMIN_HOST and ADMIN_PORT; an invalid port throws naming the variable and the accepted values. */
export function adminFromEnv(env: NodeJS.ProcessEnv, declaredPort: number): Required<AdminListenOptions> {
  const host = env[ADMIN_ENV.host]?.trim() || ADMIN_DEFAULT_HOST;
  const raw = env[ADMIN_ENV.port];
  if (raw === undefined || raw.trim() === '') return { host, port: declaredPort };
  const port = Number(raw.trim());
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${ADMIN_ENV.port}=${JSON.stringify(raw.slice(0, 20))} is not valid; use a port number from 0 to 65535 (unset means the declared admin.port ${declaredPort})`);
  }
  return { host, port };
}

/**
 * The admin listener: `/metrics`, `/health/live`, `/health/ready` and `/health` on a port of their
 * own, never behind the load balancer or ingress that exposes the application's port. Scrapes and
 * probes are not counted in the HTTP metrics nor written to the access log: they are not traffic.
 */
export class AdminServer {
  readonly server: Server;
  private bound?: AdminAddress;

  constructor(metrics: RuntimeMetrics, health: HealthSource) {
    const endpoints = createHealthEndpoints({ metrics, health });
    this.server = createServer((req, res) => {
      if (!endpoints(req, res)) sendJson(res, 404, { error: 'not_found' });
    });
    // Prometheus reuses one connection per target from scrape to scrape (every 15 s by default):
    // keep it open longer than that, where Node's default would close it after 5 s.
    this.server.keepAliveTimeout = 30_000;
  }

  get address(): AdminAddress | undefined {
    return this.bound;
  }

  async listen(options: Required<AdminListenOptions>): Promise<AdminAddress> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        this.server.off('listening', onListening);
        const why = err.code === 'EADDRINUSE' ? 'the port is in use' : err.code === 'EADDRNOTAVAIL' ? 'the address is not one of this host' : err.message;
        reject(
          new Error(
            `the admin listener (/metrics, /health) cannot listen on ${options.host}:${options.port}: ${why}; set ${ADMIN_ENV.port} (or the declaration's admin.port) and ${ADMIN_ENV.host} to a free port and an address of this host`,
          ),
        );
      };
      const onListening = () => {
        this.server.off('error', onError);
        resolve();
      };
      this.server.once('error', onError);
      this.server.once('listening', onListening);
      this.server.listen(options.port, options.host);
    });
    const { port } = this.server.address() as AddressInfo;
    const host = options.host;
    this.bound = { host, port, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}` };
    return this.bound;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
