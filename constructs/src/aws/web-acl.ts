/**
 * An AWS WAF web ACL in front of a service's Application Load Balancer: a per-client-IP rate limit
 * and a few AWS managed rule groups, every rule with CloudWatch metrics and sampled requests.
 */
import { Duration } from 'aws-cdk-lib';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct, type IConstruct } from 'constructs';
import type { ServiceDeclaration } from '@bulwark/runtime/declaration';
import { invalidProp } from './errors';

/**
 * AWS managed rule groups a web ACL here may use: the baseline and IP reputation groups, which
 * need no configuration and carry no subscription fee (each still costs one rule and its
 * requests). Bot Control, account takeover and account creation fraud prevention are paid and need
 * settings of their own: add them to `ServiceWebAcl.webAcl` yourself.
 */
export const AWS_MANAGED_RULE_GROUPS = [
  'AWSManagedRulesAmazonIpReputationList',
  'AWSManagedRulesKnownBadInputsRuleSet',
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesAnonymousIpList',
  'AWSManagedRulesSQLiRuleSet',
  'AWSManagedRulesLinuxRuleSet',
  'AWSManagedRulesUnixRuleSet',
  'AWSManagedRulesAdminProtectionRuleSet',
] as const;
export type AwsManagedRuleGroup = (typeof AWS_MANAGED_RULE_GROUPS)[number];

/**
 * The managed rule groups on by default: requests from addresses Amazon threat intelligence lists
 * as bots or attackers, and request patterns of known exploits (Log4j, Java deserialization, host
 * header tricks). Both rarely block legitimate traffic. The core rule set
 * (`AWSManagedRulesCommonRuleSet`) is left to opt in: it blocks bodies over 8 KB and requests
 * without a User-Agent, which an API's own clients may well send.
 */
export const DEFAULT_MANAGED_RULE_GROUPS: readonly AwsManagedRuleGroup[] = ['AWSManagedRulesAmazonIpReputationList', 'AWSManagedRulesKnownBadInputsRuleSet'];

/** WAF's rate-based rule evaluation windows, in seconds (300 is WAF's own default). */
export const WAF_RATE_WINDOWS_SECONDS = [60, 120, 300, 600] as const;
/** WAF's bounds of a rate-based rule's limit (requests per window). */
export const WAF_RATE_LIMIT_BOUNDS = { min: 10, max: 2_000_000_000 } as const;
/** How far above the app's own per-client allowance the WAF's default limit sits. */
export const WAF_RATE_HEADROOM = 2;

const DEFAULT_WINDOW = Duration.minutes(5);

/** `webAcl.rateLimit` under ObservedService, `rateLimit` on ServiceWebAcl itself. */
const under = (prop: string, key: string) => (prop ? `${prop}.${key}` : key);

export interface ServiceWebAclOptions {
  /**
   * Requests one client IP address may send within `rateLimitWindow`; WAF blocks the rest with 429
   * until the address is back under it. WAF counts approximately and checks every few seconds, so
   * it is a coarse outer bound: the app's own per-client limit (the declaration's `rateLimit`)
   * answers 429 first and exactly. 10 to 2,000,000,000.
   * @default - twice the declaration's `rateLimit` allowance over the window (600 per 60 s → 6000 per 5 minutes), so a client that keeps going after the app's 429s is blocked here; required when the declaration's rate limit is off
   */
  readonly rateLimit?: number;
  /**
   * How far back WAF counts each client's requests: 1, 2, 5 or 10 minutes.
   * @default Duration.minutes(5) (WAF's default evaluation window)
   */
  readonly rateLimitWindow?: Duration;
  /**
   * AWS managed rule groups evaluated before the rate limit, in this order.
   * @default DEFAULT_MANAGED_RULE_GROUPS (Amazon IP reputation list, known bad inputs)
   */
  readonly managedRuleGroups?: readonly AwsManagedRuleGroup[];
}

export interface ServiceWebAclProps extends ServiceWebAclOptions {
  /** The service: its name prefixes the metric names, its rate limit sets the default limit. */
  readonly declaration: ServiceDeclaration;
  /** The load balancer the web ACL protects. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
}

/** The rate limit and window a web ACL will use, checked; `prop` is how errors name the options. */
export function resolveWebAclRate(scope: IConstruct, prop: string, declaration: ServiceDeclaration, options: ServiceWebAclOptions): { limit: number; windowSeconds: number } {
  const windowMs = (options.rateLimitWindow ?? DEFAULT_WINDOW).toMilliseconds();
  const windowSeconds = windowMs / 1000;
  if (!(WAF_RATE_WINDOWS_SECONDS as readonly number[]).includes(windowSeconds)) {
    invalidProp(scope, under(prop, 'rateLimitWindow'), `is ${windowSeconds} s; WAF counts over ${WAF_RATE_WINDOWS_SECONDS.join(', ')} seconds only (e.g. Duration.minutes(5))`);
  }
  const { min, max } = WAF_RATE_LIMIT_BOUNDS;
  if (options.rateLimit !== undefined) {
    const limit = options.rateLimit;
    if (!Number.isInteger(limit) || limit < min || limit > max) invalidProp(scope, under(prop, 'rateLimit'), `is ${limit}; use whole requests per window from ${min} to ${max}`);
    return { limit, windowSeconds };
  }
  const { requests, windowMs: appWindowMs } = declaration.rateLimit;
  if (requests === 0) {
    invalidProp(scope, under(prop, 'rateLimit'), `is required: "${declaration.name}" switches its own rate limit off (rateLimit.requests: 0), so there is no allowance to derive it from; give the requests one client IP may send per window`);
  }
  const limit = Math.min(max, Math.max(min, Math.ceil((WAF_RATE_HEADROOM * requests * windowMs) / appWindowMs)));
  return { limit, windowSeconds };
}

/** Checks the managed rule group names (a JavaScript caller can pass anything). */
function validateManagedRuleGroups(scope: IConstruct, prop: string, groups: readonly string[]): void {
  for (const [i, name] of groups.entries()) {
    if (!(AWS_MANAGED_RULE_GROUPS as readonly string[]).includes(name)) {
      invalidProp(scope, `${under(prop, 'managedRuleGroups')}[${i}]`, `is ${JSON.stringify(name)}; use one of ${AWS_MANAGED_RULE_GROUPS.join(', ')}`);
    }
  }
  const twice = groups.filter((name, i) => groups.indexOf(name) !== i);
  if (twice.length) invalidProp(scope, under(prop, 'managedRuleGroups'), `lists ${[...new Set(twice)].join(', ')} twice; list each group once`);
}

/** Checks web ACL options before anything is built (ObservedService calls it with `prop` 'webAcl'). */
export function validateWebAclOptions(scope: IConstruct, prop: string, declaration: ServiceDeclaration, options: ServiceWebAclOptions): void {
  resolveWebAclRate(scope, prop, declaration, options);
  validateManagedRuleGroups(scope, prop, options.managedRuleGroups ?? DEFAULT_MANAGED_RULE_GROUPS);
}

/**
 * A REGIONAL web ACL associated with the service's load balancer. Allows by default; the managed
 * rule groups run first, then the rate-based rule, which blocks a client IP address (the address
 * that connected to the load balancer, not X-Forwarded-For, which a client can write) sending more
 * than `rateLimit` requests within the window, answering 429 with Retry-After.
 */
export class ServiceWebAcl extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly association: wafv2.CfnWebACLAssociation;
  /** Requests per client IP address per window. */
  readonly rateLimit: number;
  readonly rateLimitWindow: Duration;

  constructor(scope: Construct, id: string, props: ServiceWebAclProps) {
    super(scope, id);
    const { limit, windowSeconds } = resolveWebAclRate(this, '', props.declaration, props);
    const groups = props.managedRuleGroups ?? DEFAULT_MANAGED_RULE_GROUPS;
    validateManagedRuleGroups(this, '', groups);
    this.rateLimit = limit;
    this.rateLimitWindow = Duration.seconds(windowSeconds);

    const name = props.declaration.name;
    const visibility = (metric: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName: `${name}-${metric}`,
    });
    const managed: wafv2.CfnWebACL.RuleProperty[] = groups.map((group, priority) => ({
      name: group,
      priority,
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: group } },
      overrideAction: { none: {} },
      visibilityConfig: visibility(group),
    }));
    const rate: wafv2.CfnWebACL.RuleProperty = {
      name: 'RateLimitPerClientIp',
      priority: managed.length,
      statement: { rateBasedStatement: { aggregateKeyType: 'IP', limit, evaluationWindowSec: windowSeconds } },
      action: { block: { customResponse: { responseCode: 429, responseHeaders: [{ name: 'Retry-After', value: String(windowSeconds) }] } } },
      visibilityConfig: visibility('rate-limit'),
    };

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      description: `${name}: AWS managed rule groups, then at most ${limit} requests per client IP address per ${windowSeconds} s`,
      defaultAction: { allow: {} },
      rules: [...managed, rate],
      visibilityConfig: visibility('web-acl'),
    });
    this.association = new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.loadBalancer.loadBalancerArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}
