import { catalogSeries, createMetrics, METRICS } from '../../../runtime/src/internal';

describe('runtime metrics', () => {
  it('two runtimes in one process never collide ("Metric already registered")', async () => {
    const a = createMetrics({ service: 'a', nodeMetrics: false });
    const b = createMetrics({ service: 'b', nodeMetrics: false });
    a.httpRequestsTotal.inc({ method: 'GET', endpoint: '/x', status: '200' });
    expect(await a.render()).toMatch(/http_requests_total\{method="GET",endpoint="\/x",status="200"\} 1/);
    expect(await b.render()).not.toMatch(/http_requests_total\{/);
  });

  it('registers every catalog metric with its labels, plus Node defaults', async () => {
    const m = createMetrics({ service: 'svc', version: '1.2.3' });
    const text = await m.render();
    for (const spec of Object.values(METRICS)) expect(text).toContain(`# TYPE ${spec.name} ${spec.type}`);
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toContain('bulwark_build_info{service="svc",version="1.2.3"} 1');
  });

  it('counts rate-limited requests by route template only (a bounded label, never the client)', async () => {
    const m = createMetrics({ nodeMetrics: false });
    expect(METRICS.httpRequestsRateLimitedTotal).toMatchObject({ name: 'http_requests_rate_limited_total', type: 'counter', labels: ['endpoint'] });
    m.httpRequestsRateLimitedTotal.inc({ endpoint: '/providers/:id' });
    m.httpRequestsRateLimitedTotal.labels('/providers/:id').inc();
    expect(await m.render()).toContain('http_requests_rate_limited_total{endpoint="/providers/:id"} 2');
    expect(catalogSeries().get('http_requests_rate_limited_total')?.labels).toEqual(new Set(['endpoint', 'job', 'instance']));
  });

  it('switched off: every metric is a no-op and nothing is registered', async () => {
    const m = createMetrics({ enabled: false });
    m.httpRequestsTotal.labels('GET', '/x', '200').inc();
    m.httpRequestDurationSeconds.observe({ method: 'GET', endpoint: '/x' }, 0.1);
    m.degradationLevel.set(3);
    expect(m.enabled).toBe(false);
    expect((await m.render()).trim()).toBe('');
  });

  it('the query catalog includes histogram series and target labels', () => {
    const s = catalogSeries();
    expect(s.get('http_request_duration_seconds_bucket')?.labels.has('le')).toBe(true);
    expect(s.get('http_request_duration_seconds_count')?.labels.has('le')).toBe(false);
    expect(s.get('http_requests_total')?.labels.has('job')).toBe(true);
    expect(s.has('http_request_duration_seconds')).toBe(false);
  });
});
