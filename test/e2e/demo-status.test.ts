/** The demo's status line fits the terminal, so redrawing it in place never wraps and scrolls. */
import { fitToWidth, renderStatus, type StatusParts } from '../../bin/demo-status';

const busy: StatusParts = {
  elapsedSeconds: 754,
  level: 'EMERGENCY',
  dependencies: { db: 'DOWN', cache: 'DOWN', ai: 'off', reporting_replica: 'slow' },
  breakers: { db: 'open', cache: 'half-open' },
  pendingAlerts: ['HighErrorRate', 'LatencyBudgetBurn'],
  firingAlerts: ['DependencyDown', 'SystemMinimal', 'CircuitBreakerOpen', 'ErrorBudgetBurn'],
  traffic: { 200: 12, 503: 88, refused: 3 },
  faults: ['openai=hang', 'pg=slow'],
};

describe('the demo status line', () => {
  it.each([80, 60, 132])('fits %i columns, level and dependencies first', (columns) => {
    const line = renderStatus(busy, columns);
    expect([...line].length).toBeLessThanOrEqual(columns - 1);
    expect(line.startsWith('[754s] EMERGENCY | db=DOWN cache=DOWN ai=off')).toBe(true);
  });

  it('is cut with a mark only when too long, and whole otherwise', () => {
    expect(renderStatus(busy, 80).endsWith('…')).toBe(true);
    const full = renderStatus(busy, Number.POSITIVE_INFINITY);
    expect(full).toContain('| 5s 200:12 503:88 refused:3 | openai=hang pg=slow');
    expect(fitToWidth('short', 80)).toBe('short');
  });
});
