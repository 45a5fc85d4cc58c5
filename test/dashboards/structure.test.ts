import { defineService, LEVEL, LEVEL_NAMES } from '@bulwark/runtime';
import { buildDashboards, dashboardUid, renderDashboards } from '@bulwark/dashboards';
import { SERVICES, providersService } from '../../lib/services';
import { asJson, dataPanels, everyDashboard, type DashboardJson, type PanelJson } from './support';

const dashboards = everyDashboard();
const DATASOURCE_UID = '${datasource}';

function overlaps(a: PanelJson['gridPos'], b: PanelJson['gridPos']): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function panel(d: DashboardJson, title: string): PanelJson {
  const p = dataPanels(d).find((x) => x.title === title);
  if (!p) throw new Error(`${d.uid} has no panel "${title}"; it has: ${dataPanels(d).map((x) => x.title).join(', ')}`);
  return p;
}

describe.each(dashboards)('%s/%s', (service, stem, d) => {
  it('is a dashboard Grafana 12 loads: title, uid, panels, schemaVersion 42', () => {
    expect(d.title).toContain(service);
    expect(d.uid).toBe(dashboardUid(service, stem));
    expect(d.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(d.schemaVersion).toBe(42);
    expect(d.panels.length).toBeGreaterThan(3);
    expect(d.tags).toEqual(expect.arrayContaining(['bulwark', service]));
    expect(d.refresh).toBe('30s');
    expect(d.time).toEqual({ from: 'now-3h', to: 'now' });
  });

  it('has a prometheus data-source variable that every panel and query uses', () => {
    const variable = d.templating.list.find((v) => v.name === 'datasource');
    expect(variable).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const v of d.templating.list.filter((x) => x.type === 'query')) expect(v.datasource).toEqual({ type: 'prometheus', uid: DATASOURCE_UID });
    for (const p of dataPanels(d)) {
      expect({ panel: p.title, ds: p.datasource }).toEqual({ panel: p.title, ds: { type: 'prometheus', uid: DATASOURCE_UID } });
      expect(p.targets?.length).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect({ panel: p.title, ds: t.datasource }).toEqual({ panel: p.title, ds: { type: 'prometheus', uid: DATASOURCE_UID } });
      expect(new Set((p.targets ?? []).map((t) => t.refId)).size).toBe(p.targets?.length);
    }
    for (const a of d.annotations.list.filter((x) => !x.builtIn)) expect(a.datasource).toEqual({ type: 'prometheus', uid: DATASOURCE_UID });
  });

  it('places panels on the 24-column grid without overlaps, with unique ids', () => {
    const all = d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
    for (const p of all) {
      expect({ panel: p.title, inside: p.gridPos.x >= 0 && p.gridPos.y >= 0 && p.gridPos.w > 0 && p.gridPos.h > 0 && p.gridPos.x + p.gridPos.w <= 24 }).toEqual({
        panel: p.title,
        inside: true,
      });
    }
    for (let i = 0; i < all.length; i++) {
      for (let j = i + 1; j < all.length; j++) {
        expect({ a: all[i].title, b: all[j].title, overlap: overlaps(all[i].gridPos, all[j].gridPos) }).toEqual({ a: all[i].title, b: all[j].title, overlap: false });
      }
    }
    const ids = all.map((p) => p.id);
    expect(ids.every((id) => typeof id === 'number')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('dashboard identity', () => {
  it('uids are unique across every service and dashboard', () => {
    const uids = dashboards.map(([, , d]) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
  });

  it('rendering is deterministic: same declaration, same bytes', () => {
    expect(renderDashboards(providersService)).toEqual(renderDashboards(providersService));
    const text = renderDashboards(providersService)['providers/overview.json'];
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "annotations": {');
    expect(text).not.toMatch(/"(created|updated|version|id)":\s*"?\d{10,}/);
  });

  it('uids come from the service name and stay within 40 characters for long names', () => {
    expect(dashboardUid('providers', 'overview')).toBe('bulwark-providers-overview');
    const long = 'a-very-long-service-name-that-is-forty-c';
    const uids = ['overview', 'dependencies', 'circuit-breakers'].map((s) => dashboardUid(long, s));
    for (const uid of uids) expect(uid.length).toBeLessThanOrEqual(40);
    expect(new Set(uids).size).toBe(3);
    expect(dashboardUid(long, 'overview')).toBe(uids[0]);
  });
});

describe('dashboard content', () => {
  const byStem = Object.fromEntries(Object.entries(buildDashboards(providersService)).map(([k, v]) => [k, asJson(v)]));

  it('shows the degradation level with 1..5 mapped to OPTIMAL..EMERGENCY', () => {
    const options = panel(byStem.overview, 'Degradation level').fieldConfig?.defaults?.mappings?.[0]?.options ?? {};
    expect(Object.fromEntries(Object.entries(options).map(([v, r]) => [v, r.text]))).toEqual(
      Object.fromEntries(LEVEL_NAMES.map((n) => [String(LEVEL[n]), n])),
    );
  });

  it('maps breaker states 0/1/2 to closed/open/half-open', () => {
    const options = panel(byStem['circuit-breakers'], 'State over time').fieldConfig?.defaults?.mappings?.[0]?.options ?? {};
    expect(Object.fromEntries(Object.entries(options).map(([v, r]) => [v, r.text]))).toEqual({ 0: 'closed', 1: 'open', 2: 'half-open' });
  });

  it('computes the error budget over the declared window and availability', () => {
    const budget = panel(byStem.overview, 'Error budget left (30 d)').targets?.[0]?.expr ?? '';
    expect(budget).toContain('[30d]');
    expect(budget).toMatch(/\/ 0\.005$/);
    const other = defineService({ name: 'billing', objectives: { availability: 0.999, windowDays: 7 } });
    const otherBudget = panel(asJson(buildDashboards(other).overview), 'Error budget left (7 d)').targets?.[0]?.expr ?? '';
    expect(otherBudget).toContain('[7d]');
    expect(otherBudget).toMatch(/\/ 0\.001$/);
  });

  it('gives each declared dependency a section with the metrics of its kind', () => {
    const titles = byStem.dependencies.panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(titles).toEqual(['db — PostgreSQL (critical)', 'cache — Redis', 'ai — OpenAI']);
    // Every call series is the dependency's own: two dependencies of one kind stay apart.
    expect(panel(byStem.dependencies, 'db: latency').targets?.[0]?.expr).toContain('db_query_duration_seconds_bucket{job="providers",instance=~"$instance",dependency="db"}');
    expect(panel(byStem.dependencies, 'cache: errors by type').targets?.[0]?.expr).toContain('redis_errors_total{job="providers",instance=~"$instance",dependency="cache"}');
    expect(panel(byStem.dependencies, 'ai: tokens').targets?.[0]?.expr).toContain('openai_tokens_total{job="providers",instance=~"$instance",dependency="ai"}');
    expect(panel(byStem.dependencies, 'db: health').targets?.[0]?.expr).toContain('dependency_up{job="providers",instance=~"$instance",dependency="db"}');
    // A disabled dependency exports no dependency_up: it shows as disabled (-1), never as down.
    const health = panel(byStem.dependencies, 'Dependency health') as PanelJson & { fieldConfig: { defaults: { mappings: { options: Record<string, { text: string }> }[] } } };
    expect(health.targets?.[0]?.expr).toBe(
      'min by (dependency) (dependency_up{job="providers",instance=~"$instance"}) or (min by (dependency) (dependency_configured{job="providers",instance=~"$instance"}) - 1)',
    );
    expect(JSON.stringify(health.fieldConfig.defaults.mappings)).toContain('"text":"disabled"');
  });

  it('shows OpenAI tokens only when an OpenAI dependency is declared, and no dependencies dashboard without dependencies', () => {
    const withHttp = defineService({ name: 'search', dependencies: { index: { kind: 'http' }, db: { kind: 'postgres', env: 'DB_URL' } } });
    const deps = asJson(buildDashboards(withHttp).dependencies);
    expect(JSON.stringify(deps)).not.toContain('openai_tokens_total');
    expect(panel(deps, 'index: calls').targets?.[0]?.expr).toContain('dependency_requests_total{job="search",instance=~"$instance",dependency="index"}');
    const bare = defineService({ name: 'static-site' });
    expect(Object.keys(buildDashboards(bare))).toEqual(['overview', 'circuit-breakers', 'degradation', 'runtime']);
  });

  it('plots rate-limited requests by endpoint next to the other endpoint panels, only while the limit is on', () => {
    const limited = panel(byStem.overview, 'Rate-limited requests by endpoint');
    expect(limited.targets?.map((t) => t.expr)).toEqual([
      'sum by (endpoint) (rate(http_requests_rate_limited_total{job="providers",instance=~"$instance"}[$__rate_interval]))',
    ]);
    expect(limited.description).toContain(`${providersService.rateLimit.requests} requests per ${providersService.rateLimit.windowMs / 1000} s per client`);
    const endpoints = panel(byStem.overview, 'Requests by endpoint');
    expect(limited.gridPos.y).toBe(endpoints.gridPos.y);
    const open = defineService({ name: 'open', rateLimit: { requests: 0 } });
    expect(JSON.stringify(asJson(buildDashboards(open).overview))).not.toContain('http_requests_rate_limited_total');
  });

  it('draws the 500 MiB memory budget on resident memory', () => {
    const rss = panel(byStem.runtime, 'Resident memory vs budget') as PanelJson & { fieldConfig: { defaults: { thresholds: { steps: { value: number | null }[] } } } };
    expect(rss.fieldConfig.defaults.thresholds.steps.map((s) => s.value)).toEqual([null, 500 * 1024 * 1024]);
  });

  it('every declared service has its dashboards', () => {
    for (const s of SERVICES) expect(Object.keys(renderDashboards(s))).toContain(`${s.name}/overview.json`);
  });
});
