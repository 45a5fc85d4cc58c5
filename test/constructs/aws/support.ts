/** Shared helpers of the AWS construct tests: synthesize once, resolve joins, run cdk-nag, stable snapshots. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { providersService } from '../../../lib/services';
import { ServiceStack, type ServiceStackProps } from '../../../lib/service-stack';

export interface Synthesized {
  readonly app: App;
  readonly stack: ServiceStack;
  readonly template: Template;
}

/** cdk.json's `context`: the recommended feature flags (test/constructs/aws/feature-flags.test.ts) and the app's own keys. */
export const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(join(__dirname, '../../../cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

/**
 * The feature flags a consumer may synthesize with: none set (`defaults`, the library's
 * unconfigured behaviour, what a project without cdk.json flags gets) or cdk.json's
 * (`recommended`, what `cdk init` writes and `cdk synth` here uses).
 */
export const FLAG_SETS = { defaults: {}, recommended: CDK_JSON_CONTEXT } as const satisfies Record<string, Record<string, unknown>>;
export type FlagSet = keyof typeof FLAG_SETS;

/** An App with one of the flag sets as its context. */
export function appWith(flags: FlagSet = 'defaults'): App {
  return new App({ context: { ...FLAG_SETS[flags] } });
}

/** The example stack as `cdk synth` makes it (image built from service/Dockerfile, env-agnostic), under the given flags. */
export function synthProviders(props: Partial<ServiceStackProps> = {}, flags: FlagSet = 'defaults'): Synthesized {
  const app = appWith(flags);
  const stack = new ServiceStack(app, 'BulwarkProviders', { service: providersService, image: { dockerfile: 'service/Dockerfile' }, ...props });
  return { app, stack, template: Template.fromStack(stack) };
}

type Json = unknown;

/**
 * Turns an `Fn::Join` (or plain string) into text, references shown as `<Ref:Logical>` /
 * `<GetAtt:Logical.Attr>`: lets tests read a config that embeds deploy-time values.
 */
export function joinToText(value: Json): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const o = value as Record<string, Json>;
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, Json[]];
      return parts.map(joinToText).join(sep);
    }
    if ('Ref' in o) return `<Ref:${String(o.Ref)}>`;
    if ('Fn::GetAtt' in o) return `<GetAtt:${(o['Fn::GetAtt'] as string[]).join('.')}>`;
  }
  throw new Error(`cannot render ${JSON.stringify(value)} as text`);
}

/** The only resource of a type (fails when there is not exactly one). */
export function only(template: Template, type: string): { id: string; props: Record<string, Json> } {
  const found = Object.entries(template.findResources(type));
  if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
  const [id, res] = found[0];
  return { id, props: (res as { Properties: Record<string, Json> }).Properties };
}

export interface NagFinding {
  readonly rule: string;
  readonly paths: readonly string[];
}

/** AwsSolutions findings left after acknowledgements (every one of them fails `cdk synth`). */
export function nagFindings(scope: IConstruct): NagFinding[] {
  const report = new AwsSolutionsChecks().validateScope(scope);
  return report.violations.map((v) => ({ rule: v.ruleName, paths: v.violatingResources.map((r) => r.constructPath ?? r.resourceLogicalId ?? '?') }));
}

/** Every acknowledgement under `scope`: rule id and reason. */
export function acknowledgements(scope: IConstruct): { path: string; rule: string; reason: string }[] {
  const out: { path: string; rule: string; reason: string }[] = [];
  for (const c of scope.node.findAll()) {
    for (const m of c.node.metadata) {
      if (m.type !== 'aws:cdk:acknowledged-rules') continue;
      for (const [rule, reason] of Object.entries(m.data as Record<string, string>)) out.push({ path: c.node.path, rule, reason });
    }
  }
  return out;
}

const HASH = /[0-9a-f]{64}/;
const HASHES = /[0-9a-f]{64}/g;

/**
 * Snapshot serializer (like cdk-monitoring-constructs'): asset hashes and the dashboards' content
 * hash (64 hex digits) change with unrelated edits, so they are replaced.
 */
export const stableSnapshotSerializer = {
  test: (val: unknown): boolean => typeof val === 'string' && HASH.test(val),
  serialize: (val: string): string => JSON.stringify(val.replace(HASHES, '[HASH REMOVED]')),
};

/** The template with volatile parts removed, for snapshots. */
export function snapshotOf(stack: Stack): Record<string, unknown> {
  const t = Template.fromStack(stack).toJSON() as { Parameters?: Record<string, unknown>; Rules?: unknown };
  const { Parameters, Rules, ...rest } = t as Record<string, unknown>;
  void Parameters;
  void Rules;
  return rest;
}
