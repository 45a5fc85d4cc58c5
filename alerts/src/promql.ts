/** Small builders for the PromQL the rule generator writes, so every query is assembled the same way. */

export type Matchers = Readonly<Record<string, string | { readonly re: string }>>;

function quote(value: string): string {
  return JSON.stringify(value);
}

/** `metric{a="x", b=~"y"}`, matchers in the order given. */
export function selector(metric: string, matchers: Matchers = {}): string {
  const parts = Object.entries(matchers).map(([label, v]) => (typeof v === 'string' ? `${label}=${quote(v)}` : `${label}=~${quote(v.re)}`));
  return parts.length ? `${metric}{${parts.join(', ')}}` : metric;
}

/** A number as PromQL and YAML readers expect it: no float noise (0.1 * 3 → 0.3). */
export function num(n: number): string {
  return String(Number(n.toPrecision(12)));
}
