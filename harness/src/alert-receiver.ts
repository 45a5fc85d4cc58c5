/**
 * A local webhook receiver standing in for Amazon SNS (there is no AWS here): Alertmanager's
 * `webhook_configs` post every notification to it, and it keeps each one with the time it arrived.
 */
import { createServer, type Server } from 'node:http';
import { freePort, waitFor } from './ports';

/** One alert inside a notification (Alertmanager webhook payload, version 4). */
export interface NotifiedAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
}

/** One notification as it arrived: the receiver it was routed to and the alerts of its group. */
export interface Notification {
  receivedAt: number;
  /** The path it was posted to (the receiver's webhook URL path). */
  path: string;
  receiver: string;
  status: 'firing' | 'resolved';
  groupLabels: Record<string, string>;
  alerts: NotifiedAlert[];
}

/** One alert as notified, with its notification's receiver and arrival time. */
export interface AlertDelivery extends NotifiedAlert {
  receivedAt: number;
  receiver: string;
}

export interface AlertReceiver {
  /** Base URL; post to `${url}/<anything>`. */
  readonly url: string;
  readonly notifications: readonly Notification[];
  /** Every alert notified so far, flattened (a group notification carries several). */
  deliveries(): AlertDelivery[];
  /** Waits for the first delivery (received at or after `since`) that `match` accepts. */
  waitForDelivery(match: (d: AlertDelivery) => boolean, since: number, timeoutMs: number, what: string): Promise<AlertDelivery>;
  close(): Promise<void>;
}

export async function startAlertReceiver(): Promise<AlertReceiver> {
  const notifications: Notification[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Omit<Notification, 'receivedAt' | 'path'>;
        notifications.push({
          receivedAt: Date.now(),
          path: req.url ?? '/',
          receiver: body.receiver,
          status: body.status,
          groupLabels: body.groupLabels,
          alerts: body.alerts,
        });
        res.writeHead(200).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const deliveries = () => notifications.flatMap((n) => n.alerts.map((a) => ({ ...a, receivedAt: n.receivedAt, receiver: n.receiver })));
  return {
    url: `http://127.0.0.1:${port}`,
    notifications,
    deliveries,
    waitForDelivery: (match, since, timeoutMs, what) =>
      waitFor(() => deliveries().find((d) => d.receivedAt >= since && match(d)), timeoutMs, what, 100),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
