/** Kubernetes and Prometheus syntax rules the chart checks before it synthesizes anything. */

/** Label values: at most 63 characters, alphanumeric at both ends, `-_.` inside; may be empty. */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Prometheus durations as the Prometheus Operator accepts them, e.g. `30s`, `1m30s`. */
const PROMETHEUS_DURATION = /^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$/;

/** Why `value` is not a valid label value, or undefined when it is. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return `label value ${JSON.stringify(value)} is longer than 63 characters`;
  if (!LABEL_VALUE.test(value)) {
    return `label value ${JSON.stringify(value)} must be alphanumeric at both ends with only '-', '_' or '.' inside`;
  }
  return undefined;
}

/** Why `key` is not a valid label key (`[prefix/]name`), or undefined when it is. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `label key ${JSON.stringify(key)} has an invalid prefix; it must be a lowercase DNS subdomain such as example.com`;
  }
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    return `label key ${JSON.stringify(key)} must be at most 63 characters, alphanumeric at both ends with only '-', '_' or '.' inside`;
  }
  return undefined;
}

/** Every problem in a label map, each prefixed with where it is. */
export function labelProblems(path: string, labels: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) problems.push(`${path}: ${keyProblem}`);
    if (typeof value !== 'string') {
      problems.push(`${path}.${key}: must be a string, got ${typeof value}`);
      continue;
    }
    const valueProblem = labelValueProblem(value);
    if (valueProblem) problems.push(`${path}.${key}: ${valueProblem}`);
  }
  return problems;
}

/** Object names such as Secrets and ConfigMaps: a lowercase DNS subdomain of at most 253 characters. */
export function isDnsSubdomain(name: string): boolean {
  return name.length > 0 && name.length <= 253 && DNS_SUBDOMAIN.test(name);
}

/** Namespaces and Services: a lowercase DNS label of at most 63 characters. */
export function isDnsLabel(name: string): boolean {
  return name.length > 0 && name.length <= 63 && DNS_LABEL.test(name);
}

export function isPrometheusDuration(text: string): boolean {
  return text !== '' && PROMETHEUS_DURATION.test(text);
}

/** A Prometheus duration in seconds (assumes `isPrometheusDuration`). */
export function durationSeconds(text: string): number {
  const units: Readonly<Record<string, number>> = { y: 31536000, w: 604800, d: 86400, h: 3600, m: 60, s: 1, ms: 0.001 };
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|y|w|d|h|m|s)/g)) total += Number(n) * (units[unit!] ?? 0);
  return total;
}

/**
 * Why an image reference cannot be deployed reproducibly, or undefined when it can: it must
 * carry a tag other than `latest` or a digest (`@sha256:…`).
 */
export function imageProblem(image: string): string | undefined {
  if (image.trim() !== image || image === '' || /\s/.test(image)) return `${JSON.stringify(image)} is not an image reference`;
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return undefined;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.indexOf(':');
  if (colon < 0) return `${JSON.stringify(image)} has no tag; pin a version, e.g. ${JSON.stringify(`${image}:1.2.3`)}, or a digest (@sha256:…)`;
  const tag = lastSegment.slice(colon + 1);
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) return `${JSON.stringify(image)} has an invalid tag ${JSON.stringify(tag)}`;
  if (tag === 'latest') return `${JSON.stringify(image)} uses the moving tag "latest"; pin a version or a digest so a rollout is reproducible`;
  return undefined;
}
