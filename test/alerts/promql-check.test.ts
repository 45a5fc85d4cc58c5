import { METRICS, LABEL } from '../../runtime/src/internal';
import { checkPromQL } from '../support/promql-check';
import { SCRAPE_SERIES } from '@bulwark/runtime/catalog';

const requests = METRICS.httpRequestsTotal.name;
const durationBucket = `${METRICS.httpRequestDurationSeconds.name}_bucket`;

function messages(expr: string, extra?: Parameters<typeof checkPromQL>[1]): string[] {
  return checkPromQL(expr, extra).map((p) => p.message);
}

describe('checkPromQL', () => {
  it('accepts a valid query on catalog metrics, with le on a _bucket series and target labels', () => {
    expect(messages(`histogram_quantile(0.95, sum by (le, job) (rate(${durationBucket}{job="providers"}[5m]))) > 0.1`)).toEqual([]);
    expect(
      messages(`sum(rate(${requests}{job="providers", ${LABEL.status}=~"5.."}[5m])) / sum(rate(${requests}{job="providers"}[5m]))`),
    ).toEqual([]);
    expect(messages(`${SCRAPE_SERIES.up}{job="providers", instance="a:8080"} == 0`)).toEqual([]);
  });

  it('rejects a typo in a metric name and suggests the catalog name', () => {
    const found = messages('sum(rate(http_request_total{job="providers"}[5m]))');
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('unknown metric "http_request_total"');
    expect(found[0]).toContain(`did you mean "${requests}"`);
  });

  it('rejects a label matcher the metric does not carry', () => {
    const found = messages(`${requests}{job="providers", stauts="500"}`);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('label "stauts"');
  });

  it('rejects le on a series that is not a histogram bucket', () => {
    expect(messages(`sum by (le) (rate(${requests}[5m]))`)[0]).toContain('"le"');
  });

  it('checks by / without / on / group_left labels against the series inside', () => {
    expect(messages(`sum by (${LABEL.dependency}) (rate(${requests}[5m]))`)[0]).toContain(`"${LABEL.dependency}"`);
    expect(messages(`sum without (${LABEL.name}) (${METRICS.dependencyUp.name})`)[0]).toContain(`"${LABEL.name}"`);
    expect(messages(`sum by (${LABEL.dependency}) (${METRICS.dependencyUp.name})`)).toEqual([]);
    expect(messages(`${METRICS.circuitBreakerState.name} * on (${LABEL.name}) ${METRICS.dependencyUp.name}`)[0]).toContain('on (right side)');
    expect(
      messages(`${METRICS.dependencyUp.name} * on (job) group_left (${LABEL.version}) ${METRICS.buildInfo.name}`),
    ).toEqual([]);
    expect(messages(`${METRICS.dependencyUp.name} * on (job) group_left (${LABEL.model}) ${METRICS.buildInfo.name}`)[0]).toContain(
      'group_left',
    );
  });

  it('knows what labels an aggregation leaves: by (le) drops job', () => {
    expect(messages(`sum by (job) (sum by (le) (rate(${durationBucket}[5m])))`)[0]).toContain('"job"');
  });

  it('reports garbage and incomplete expressions as parse errors', () => {
    expect(messages('foo bar baz')[0]).toMatch(/^parse error/);
    expect(messages(`sum(rate(${requests}[5m])) by`)[0]).toMatch(/^parse error/);
    expect(messages(`${requests} +`)[0]).toMatch(/^parse error/);
    expect(messages('   ')).toEqual(['empty expression']);
  });

  it('accepts recording-rule outputs only when declared, checking their labels when given', () => {
    const recorded = 'service:http_requests_errors:ratio_rate5m';
    expect(messages(`${recorded}{job="providers"} > 0.01`)[0]).toContain(`unknown metric "${recorded}"`);
    expect(messages(`${recorded}{job="providers"} > 0.01`, new Set([recorded]))).toEqual([]);
    const withLabels = new Map([[recorded, ['job']]]);
    expect(messages(`${recorded}{job="providers"} > 0.01`, withLabels)).toEqual([]);
    expect(messages(`${recorded}{endpoint="/x"} > 0.01`, withLabels)[0]).toContain('"endpoint"');
  });

  it('resolves __name__ matchers', () => {
    expect(messages(`{__name__="${requests}", ${LABEL.status}="500"}`)).toEqual([]);
    expect(messages('{__name__="nope_total"}')[0]).toContain('unknown metric "nope_total"');
    expect(messages('{__name__=~"nothing_like_this_.*"}')[0]).toContain('matches no metric');
  });

  it("parses Grafana's interval variables in dashboard queries", () => {
    expect(messages(`sum(rate(${requests}{job="providers"}[$__rate_interval]))`)).toEqual([]);
  });

  it('returns problems carrying the expression', () => {
    expect(checkPromQL('nope_total')).toEqual([{ expr: 'nope_total', message: expect.stringContaining('nope_total') }]);
  });
});
