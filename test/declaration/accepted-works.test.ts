/**
 * What defineService accepts, everything downstream accepts: random declarations drawn across
 * the whole accepted range (names, ports, dependencies of every kind and impact, env vars,
 * objectives at their limits, routes) go through the runtime's metrics and route matcher, the
 * rule, promtool-test and dashboard generators, the cdk8s chart and the AWS constructs without an
 * error, and the generated rules of a sample pass the real `promtool check rules` / `test rules`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App as CdkApp, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { App as K8sApp } from 'cdk8s';
import { renderRuleFile, renderRuleTestFile, ruleFileName, ruleTestFileName } from '@bulwark/alerts';
import { MonitoringWorkspace, ObservedService, ServiceDashboards } from '@bulwark/constructs/aws';
import { ObservedServiceChart } from '@bulwark/constructs/k8s';
import { renderDashboards } from '@bulwark/dashboards';
import { createRuntime, defineService, DEPENDENCY_KINDS, IMPACT_LEVELS, type DependencyInput, type ServiceDeclaration, type ServiceInput } from '@bulwark/runtime';
import { LogCapture } from '../runtime/logging/capture';

/** A small deterministic PRNG (mulberry32): the same declarations on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function declarationInput(rnd: () => number, i: number): ServiceInput {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const int = (min: number, max: number): number => min + Math.floor(rnd() * (max - min + 1));
  const name = pick(['a1', 'orders', `svc-${i}`, 'x'.repeat(39) + String(i % 10), 'payments-api-v2']);
  const dependencies: Record<string, DependencyInput> = {};
  const env: Record<string, { required: boolean; secret: boolean }> = {};
  for (let d = 0; d < int(0, 5); d++) {
    const kind = pick(DEPENDENCY_KINDS);
    const dep = `${pick(['db', 'cache', 'ai', 'api', 'store'])}_${d}`;
    const slow = rnd() < 0.3;
    dependencies[dep] = {
      kind,
      critical: rnd() < 0.5,
      impact: pick(IMPACT_LEVELS),
      ...(kind !== 's3' && kind !== 'http' ? { env: `${dep.toUpperCase()}_URL` } : rnd() < 0.5 ? { env: `${dep.toUpperCase()}_ENDPOINT` } : {}),
      ...(slow ? { slowThresholdMs: int(1, 1_999), slowImpact: pick(IMPACT_LEVELS) } : {}),
      breaker: { failureThreshold: int(1, 1000), resetTimeoutMs: int(100, 3_600_000), timeoutMs: int(1, 600_000) },
    };
  }
  if (rnd() < 0.5) env.FEATURE_URL = { required: rnd() < 0.5, secret: false };
  if (rnd() < 0.5) env.API_TOKEN = { required: rnd() < 0.5, secret: true };
  const objective = (): number => pick([0.9306, 0.95, 0.99, 0.995, 0.999, 0.9999]);
  return {
    name,
    version: pick(['0.0.1', '2026.11.29-rc.1', 'v3']),
    port: pick([1, 80, 3000, 8080, 65535]),
    dependencies,
    env,
    objectives: { availability: objective(), latency: { thresholdMs: pick([1, 7, 100, 150, 300, 999, 4321, 9999]), target: objective() }, windowDays: int(1, 90) },
    routes: pick([[], ['/'], ['/orders', '/orders/:id', '/orders/:id/items/:item'], ['/a/b/c/d/e/f']]),
  };
}

const declarations: ServiceDeclaration[] = [];
const rnd = random(20261129);
for (let i = 0; i < 60; i++) declarations.push(defineService(declarationInput(rnd, i)));

/** Values a deployment gives the declared non-secret variables, and a secret for each secret one. */
const plainEnv = (s: ServiceDeclaration) => Object.fromEntries(Object.entries(s.env).filter(([, v]) => !v.secret).map(([k]) => [k, 'value']));

describe('every accepted declaration works downstream', () => {
  it.each(declarations.map((d, i) => [i, d.name, d] as const))('#%i %s: runtime, rules, promtool tests, dashboards, cdk8s chart', (_i, _name, service) => {
    const runtime = createRuntime(service, { env: {}, logDestination: new LogCapture(), nodeMetrics: false, admin: { port: 0 } });
    runtime.createServer(() => undefined);
    expect(renderRuleFile(service)).toContain(`job="${service.name}"`);
    expect(renderRuleTestFile(service)).toContain(ruleFileName(service));
    expect(Object.keys(renderDashboards(service)).length).toBeGreaterThanOrEqual(4);
    const app = new K8sApp();
    const chart = new ObservedServiceChart(app, undefined, { service, image: `registry.example.com/${service.name}:1.0.0`, env: plainEnv(service) });
    expect(chart.toJson().map((o: { kind: string }) => o.kind)).toEqual(expect.arrayContaining(['Deployment', 'PrometheusRule', 'ServiceMonitor']));
  });

  it('AWS: the constructs synthesize the extremes (most dependencies, largest and smallest names and ports)', () => {
    const sample = [...declarations].sort((a, b) => Object.keys(b.dependencies).length - Object.keys(a.dependencies).length).slice(0, 2);
    sample.push(declarations.find((d) => d.name.length === 40)!, declarations.find((d) => d.port === 1 || d.port === 65535)!);
    for (const service of sample) {
      const stack = new Stack(new CdkApp(), 'S');
      const monitoring = new MonitoringWorkspace(stack, 'M', { services: [service] });
      const secrets = Object.fromEntries(Object.entries(service.env).filter(([, v]) => v.secret).map(([k]) => [k, secretsmanager.Secret.fromSecretNameV2(stack, k, k)]));
      new ObservedService(stack, 'Svc', { declaration: service, image: ecs.ContainerImage.fromRegistry('r/x:1'), vpc: new ec2.Vpc(stack, 'V'), workspace: monitoring, secrets, environment: plainEnv(service), allowInsecureHttp: true });
      new ServiceDashboards(stack, 'D', { prometheus: monitoring, services: [service] });
      expect(() => CdkApp.of(stack)!.synth()).not.toThrow();
    }
  });

  it('promtool checks and runs the generated tests of a sample of them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-accepted-'));
    try {
      const sample = declarations.filter((_, i) => i % 20 === 0);
      const names = new Set<string>();
      for (const service of sample) {
        if (names.has(service.name)) continue;
        names.add(service.name);
        writeFileSync(join(dir, ruleFileName(service)), renderRuleFile(service));
        writeFileSync(join(dir, ruleTestFileName(service)), renderRuleTestFile(service));
        const check = spawnSync('promtool', ['check', 'rules', ruleFileName(service)], { cwd: dir, encoding: 'utf8', timeout: 600_000 });
        expect({ service: service.name, status: check.status, out: check.status === 0 ? '' : check.stdout + check.stderr }).toEqual({ service: service.name, status: 0, out: '' });
        const test = spawnSync('promtool', ['test', 'rules', ruleTestFileName(service)], { cwd: dir, encoding: 'utf8', timeout: 600_000 });
        expect({ service: service.name, status: test.status, out: test.status === 0 ? '' : (test.stdout + test.stderr).slice(0, 3000) }).toEqual({ service: service.name, status: 0, out: '' });
      }
      expect(names.size).toBeGreaterThanOrEqual(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
