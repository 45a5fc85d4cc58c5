/**
 * Every cdk-nag (AwsSolutions) acknowledgement of the example app, for reviewers: per resource,
 * never stack-wide, each with a reason, and all of them listed in a snapshot so that a pull request
 * that adds, removes or rewords one shows it in the diff.
 *
 * cdk-nag 3 takes acknowledgements from `Validations.of(construct).acknowledge({ id, reason })`
 * (constructs/src/aws/nag.ts `acknowledgeNag`, lib/service-stack.ts), recorded as construct
 * metadata `aws:cdk:acknowledged-rules` ({ "Annotation::<rule id>": reason }); it honours one on
 * the construct of a finding or on any construct above it, so one on a Stack or the App would
 * silence that rule for everything below: that is what "stack-wide" means here. A granular finding's
 * id carries what it applies to in brackets, e.g. `AwsSolutions-IAM5[Resource::*]` (cdk-nag 2's
 * `applies_to`). cdk-nag 2's `NagSuppressions` (with `addStackSuppressions`) no longer exists.
 *
 * The snapshot is regenerated with `npx jest test/constructs/aws/nag-acknowledgements.test.ts -u`
 * when acknowledgements change on purpose; nothing here counts them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { App, CfnElement, Stack, Stage, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { buildExampleApp } from '../../../lib/example-app';
import { DEPLOYMENTS } from '../../../lib/services';
import { appWith, nagFindings, type FlagSet } from './support';

const ROOT = join(__dirname, '../../..');

interface Acknowledgement {
  /** Construct path of the construct that carries it. */
  readonly path: string;
  /** Logical id of that construct (or of its default child), when it has one. */
  readonly logicalId: string | undefined;
  readonly construct: IConstruct;
  /** The rule id as cdk-nag matches it, e.g. `AwsSolutions-IAM5[Resource::*]`. */
  readonly id: string;
  /** `AwsSolutions-IAM5`. */
  readonly rule: string;
  /** `Resource::*`, or undefined for a whole-rule acknowledgement. */
  readonly appliesTo: string | undefined;
  readonly reason: string;
}

function logicalIdOf(c: IConstruct): string | undefined {
  const el = c instanceof CfnElement ? c : c.node.defaultChild instanceof CfnElement ? c.node.defaultChild : undefined;
  return el ? Stack.of(el).resolve(el.logicalId) : undefined;
}

/** Rule ids of cdk-nag's packs (AwsSolutions is the one the example app runs). */
const NAG_RULE = /^(AwsSolutions|HIPAA\.Security|NIST\.800\.53\.R[45]|PCI\.DSS\.321|Serverless)-/;

/**
 * Every acknowledgement recorded in the app's construct tree: cdk-nag's, and the others (aws-cdk-lib
 * acknowledges some of its built-in CloudFormation Validate findings itself, e.g. on a Stack that
 * reads `availabilityZones`).
 */
function allAcknowledgementsOf(app: App): Acknowledgement[] {
  const out: Acknowledgement[] = [];
  for (const c of app.node.findAll()) {
    for (const m of c.node.metadata) {
      if (m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [recorded, reason] of Object.entries(m.data as Record<string, string>)) {
        const id = recorded.replace(/^annotation::/i, '');
        const bracket = /^([^[]+)\[(.*)\]$/.exec(id);
        out.push({ path: c.node.path, logicalId: logicalIdOf(c), construct: c, id, rule: bracket?.[1] ?? id, appliesTo: bracket?.[2], reason });
      }
    }
  }
  return out.sort((a, b) => (a.path === b.path ? (a.id < b.id ? -1 : 1) : a.path < b.path ? -1 : 1));
}

/** The cdk-nag acknowledgements of the app. */
function acknowledgementsOf(app: App): Acknowledgement[] {
  return allAcknowledgementsOf(app).filter((a) => NAG_RULE.test(a.id));
}

/**
 * The AwsSolutions findings as if nothing were acknowledged: cdk-nag's own pack with its
 * acknowledgement lookup turned off (cdk-nag 3's NagPack#isAcknowledged).
 */
function findingsIgnoringAcknowledgements(app: App): { id: string; path: string }[] {
  const pack = new AwsSolutionsChecks();
  const lookup = pack as unknown as { isAcknowledged?: unknown };
  if (typeof lookup.isAcknowledged !== 'function') throw new Error('cdk-nag no longer has NagPack#isAcknowledged: update findingsIgnoringAcknowledgements');
  lookup.isAcknowledged = () => false;
  return pack.validateScope(app).violations.flatMap((v) => v.violatingResources.map((r) => ({ id: v.ruleName, path: r.constructPath ?? '?' })));
}

/** The logical ids of the resources whose finding an acknowledgement silences (its construct or below). */
function silenced(ack: Acknowledgement, findings: readonly { id: string; path: string }[], app: App): string[] {
  const paths = findings.filter((f) => f.id === ack.id && (f.path === ack.path || f.path.startsWith(`${ack.path}/`))).map((f) => f.path);
  return [...new Set(paths)].map((p) => logicalIdOf(app.node.findAll().find((c) => c.node.path === p)!) ?? p).sort();
}

/** The example app as `cdk synth` makes it, synthesized (every aspect applied). */
function synthExampleApp(flags: FlagSet): App {
  const app = appWith(flags);
  for (const stack of buildExampleApp(app, DEPLOYMENTS)) Template.fromStack(stack);
  return app;
}

const apps = { recommended: synthExampleApp('recommended'), defaults: synthExampleApp('defaults') } as const;

/** Placeholders and non-reasons a reviewer would send back. */
const NON_REASON = /^\s*(todo|tbd|fixme|n\/a|none|ok|suppress(ed)?|ignored?|not (needed|relevant|applicable)|false positive|see (above|below|code))\b/i;
/** Words or punctuation that introduce a justification ("…: it is…", "…because…", "…only…", "…cannot…"). */
const EXPLAINS = /[:;]|\b(because|since|so that|so|as|only|needs?|requires?|cannot|can't|must|exists? to|by design|inherent|instead|i\.e\.|no resource-level)\b/i;

describe.each<FlagSet>(['recommended', 'defaults'])('cdk-nag acknowledgements of the example app (%s feature flags)', (flags) => {
  const app = apps[flags];
  const acks = acknowledgementsOf(app);

  it('leave no AwsSolutions finding unacknowledged', () => {
    expect(nagFindings(app)).toEqual([]);
  });

  it('exist (so the checks below check something)', () => {
    expect(acks.length).toBeGreaterThan(0);
  });

  it('are per resource: none on a Stack, a Stage or the App', () => {
    const wide = acks.filter((a) => Stack.isStack(a.construct) || Stage.isStage(a.construct) || a.construct === app.node.root);
    expect(wide.map((a) => `${a.path} ${a.id}`)).toEqual([]);
  });

  it('each have a reason of at least a sentence that says why', () => {
    const weak = acks.filter(
      (a) => a.reason.trim().length < 40 || a.reason.trim().split(/\s+/).length < 6 || NON_REASON.test(a.reason) || !EXPLAINS.test(a.reason) || a.reason.includes(a.rule),
    );
    expect(weak.map((a) => `${a.path} ${a.id}: ${JSON.stringify(a.reason)}`)).toEqual([]);
  });

  it('each silence a finding that cdk-nag reports (none is stale)', () => {
    const findings = findingsIgnoringAcknowledgements(app);
    // With acknowledgements ignored, cdk-nag has findings: the lookup was really turned off.
    expect(findings.length).toBeGreaterThan(0);
    expect(acks.filter((a) => silenced(a, findings, app).length === 0).map((a) => `${a.path} ${a.id}`)).toEqual([]);
  });
});

describe('cdk-nag acknowledgements', () => {
  it('are listed for review: construct (logical id), rule, what it applies to, the resources it silences, reason', () => {
    const app = apps.recommended;
    const findings = findingsIgnoringAcknowledgements(app);
    const nag = acknowledgementsOf(app)
      .map((a) =>
        [
          `${a.path} (${a.logicalId ?? 'no logical id'})`,
          `  rule:       ${a.rule}`,
          `  applies to: ${a.appliesTo ?? '(the whole rule)'}`,
          `  silences:   ${silenced(a, findings, app).join(', ')}`,
          `  reason:     ${a.reason}`,
        ].join('\n'),
      )
      .join('\n\n');
    // Not cdk-nag's, not checked above, listed so that changes to them show too.
    const others = allAcknowledgementsOf(app)
      .filter((a) => !NAG_RULE.test(a.id))
      .map((a) => `${a.path} (${a.logicalId ?? 'no logical id'})\n  rule:       ${a.id}\n  reason:     ${a.reason}`)
      .join('\n\n');
    expect(`\n== cdk-nag (AwsSolutions) ==\n\n${nag}\n\n== other acknowledgements (aws-cdk-lib's built-in CloudFormation Validate) ==\n\n${others}\n`).toMatchSnapshot();
  });

  it('the sources acknowledge nothing stack-wide (no cdk-nag 2 NagSuppressions, no acknowledge on an App or a Stack)', () => {
    const files = ['lib', 'constructs/src', 'bin'].flatMap((dir) => tsFiles(join(ROOT, dir)));
    expect(files.length).toBeGreaterThan(0);
    const offending: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const isStack = /\bextends\s+(cdk\.)?(Stack|Stage|App)\b/.test(text);
      // Matched on the whole text: a call may span lines.
      const patterns = [
        /\bNagSuppressions\b|\baddStackSuppressions\b/g,
        /Validations\.of\(\s*(app|stack|this\.node\.root|Stack\.of\([^)]*\)|Stage\.of\([^)]*\)|App\.of\([^)]*\))\s*\)\s*\.acknowledge/g,
        /\backnowledgeNag\(\s*(app|stack|this\.node\.root|Stack\.of\([^)]*\))\s*,/g,
        ...(isStack ? [/Validations\.of\(\s*this\s*\)\s*\.acknowledge|\backnowledgeNag\(\s*this\s*,/g] : []),
      ];
      for (const p of patterns) {
        for (const m of text.matchAll(p)) offending.push(`${relative(ROOT, file)}:${text.slice(0, m.index).split('\n').length}: ${m[0].replace(/\s+/g, ' ')}`);
      }
    }
    expect(offending).toEqual([]);
  });
});

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    return statSync(p).isDirectory() ? tsFiles(p) : name.endsWith('.ts') && !name.endsWith('.d.ts') ? [p] : [];
  });
}
