/**
 * A NetworkPolicy evaluator for the tests: whether a policy lets a connection through, by the
 * rules of the Kubernetes NetworkPolicy API (a peer's namespaceSelector and podSelector must both
 * match; a peer without a namespaceSelector means the policy's own namespace; a rule without
 * `from`/`to` or `ports` matches every source or port). It stands in for a cluster's network
 * plugin, which enforces the same rules; ipBlock peers are not modelled (the chart makes none).
 */
import type { Manifest } from './support';

type MatchLabels = { matchLabels?: Record<string, string> };
export interface Peer {
  namespaceSelector?: MatchLabels;
  podSelector?: MatchLabels;
  ipBlock?: unknown;
}
export interface PolicyPort {
  port?: number | string;
  protocol?: string;
}
export interface PolicyRule {
  from?: Peer[];
  to?: Peer[];
  ports?: PolicyPort[];
}
export interface NetworkPolicySpec {
  podSelector: MatchLabels;
  policyTypes: string[];
  ingress?: PolicyRule[];
  egress?: PolicyRule[];
}

/** The other end of a connection: a pod, its labels and its namespace's labels, or an address outside the cluster. */
export interface Endpoint {
  /** The namespace's `kubernetes.io/metadata.name` (set on every namespace by Kubernetes); undefined: outside the cluster. */
  readonly namespace?: string;
  readonly namespaceLabels?: Record<string, string>;
  readonly podLabels?: Record<string, string>;
}

function matches(selector: MatchLabels | undefined, labels: Record<string, string>): boolean {
  return Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

function peerMatches(peer: Peer, other: Endpoint, policyNamespace: string): boolean {
  if (peer.ipBlock) throw new Error('ipBlock peers are not modelled');
  if (other.namespace === undefined) return false;
  const nsLabels = { ...other.namespaceLabels, 'kubernetes.io/metadata.name': other.namespace };
  const inNamespace = peer.namespaceSelector ? matches(peer.namespaceSelector, nsLabels) : other.namespace === policyNamespace;
  return inNamespace && matches(peer.podSelector, other.podLabels ?? {});
}

function ruleMatches(rule: PolicyRule, peers: Peer[] | undefined, other: Endpoint, port: number, protocol: string, policyNamespace: string): boolean {
  const portOk = !rule.ports?.length || rule.ports.some((p) => (p.protocol ?? 'TCP') === protocol && (p.port === undefined || p.port === port));
  const peerOk = !peers?.length || peers.some((p) => peerMatches(p, other, policyNamespace));
  return portOk && peerOk;
}

/** The NetworkPolicy of a synthesized chart, with the namespace it is applied in. */
export function policyOf(manifests: readonly Manifest[]): NetworkPolicySpec {
  const found = manifests.filter((m) => m.kind === 'NetworkPolicy');
  if (found.length !== 1) throw new Error(`expected one NetworkPolicy, found ${found.length}`);
  return found[0]!.spec as unknown as NetworkPolicySpec;
}

/** Whether `from` may open a connection to a selected pod's `port`. */
export function admits(policy: NetworkPolicySpec, from: Endpoint, port: number, policyNamespace = 'shop'): boolean {
  if (!policy.policyTypes.includes('Ingress')) return true;
  return (policy.ingress ?? []).some((rule) => ruleMatches(rule, rule.from, from, port, 'TCP', policyNamespace));
}

/** Whether a selected pod may open a connection to `to` on `port`/`protocol`. */
export function letsOut(policy: NetworkPolicySpec, to: Endpoint, port: number, protocol = 'TCP', policyNamespace = 'shop'): boolean {
  if (!policy.policyTypes.includes('Egress')) return true;
  return (policy.egress ?? []).some((rule) => ruleMatches(rule, rule.to, to, port, protocol, policyNamespace));
}
