/**
 * The demo's status line: what matters first (level, dependencies, alerts), then the rest, cut to
 * the terminal's width so a redraw in place (`\r` + erase line) never wraps and scrolls.
 */
export interface StatusParts {
  readonly elapsedSeconds: number;
  readonly level: string;
  /** Dependency → up, slow, DOWN or off (disabled). */
  readonly dependencies: Readonly<Record<string, string>>;
  /** Breakers that are not closed, by name. */
  readonly breakers: Readonly<Record<string, string>>;
  readonly pendingAlerts: readonly string[];
  readonly firingAlerts: readonly string[];
  /** Responses in the last seconds, by outcome (status code or error). */
  readonly traffic: Readonly<Record<string, number>>;
  /** The faults the demo has on: e.g. `openai=hang`, `pg=slow`. */
  readonly faults: readonly string[];
}

export function renderStatus(p: StatusParts, columns: number): string {
  const pairs = (o: Readonly<Record<string, string | number>>) => Object.entries(o).map(([k, v]) => `${k}=${v}`).join(' ');
  const segments = [
    `[${p.elapsedSeconds}s] ${p.level}`,
    pairs(p.dependencies),
    `alerts ${p.firingAlerts.length ? `FIRING ${p.firingAlerts.join(',')}` : 'firing -'} pending ${p.pendingAlerts.join(',') || '-'}`,
    Object.keys(p.breakers).length ? `breakers ${pairs(p.breakers)}` : 'breakers closed',
    `5s ${Object.entries(p.traffic).sort().map(([k, n]) => `${k}:${n}`).join(' ') || '-'}`,
    ...(p.faults.length ? [p.faults.join(' ')] : []),
  ];
  return fitToWidth(segments.join(' | '), columns);
}

/** Cuts a line to `columns - 1` characters (the last column would wrap on some terminals), marking the cut. */
export function fitToWidth(line: string, columns: number): string {
  const max = Math.max(10, columns - 1);
  const chars = [...line];
  return chars.length <= max ? line : `${chars.slice(0, max - 1).join('')}…`;
}
