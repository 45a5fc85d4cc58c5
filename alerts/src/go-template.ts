/**
 * Expands the small subset of Prometheus alert templating the generated annotations use, the way
 * Prometheus does, so promtool unit tests can state the exact annotation an alert must carry:
 * `{{ $labels.x }}`, `{{ $value }}` and `{{ $value | humanize | humanize1024 | humanizeDuration |
 * humanizePercentage }}`. Number formatting follows Go's `%.4g` and Prometheus' humanize functions.
 * Anything else in a template is an error, so a new construct cannot slip by untested.
 */

/** Go's `fmt.Sprintf("%.4g", v)`. */
export function goG4(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return '0';
  const [mantissa, expText] = v.toExponential(3).split('e');
  const exp = Number(expText);
  const trim = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= 4) return `${trim(mantissa)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return trim(v.toPrecision(4));
}

/** Go's `%v` for a float64 (shortest representation), for the values the tests use. */
export function goFloat(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e21) return String(v);
  if (Math.abs(v) >= 1e-4 && Math.abs(v) < 1e21) return String(v);
  throw new Error(`goFloat: ${v} would print in exponent form; give the template a humanize function`);
}

export function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return goG4(v);
  let prefix = '';
  if (Math.abs(v) >= 1) {
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return `${goG4(v)}${prefix}`;
  }
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${goG4(v)}${prefix}`;
}

export function humanize1024(v: number): string {
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return goG4(v);
  let prefix = '';
  for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return `${goG4(v)}${prefix}`;
}

export function humanizeDuration(v: number): string {
  if (!Number.isFinite(v)) return goG4(v);
  if (v === 0) return '0s';
  if (Math.abs(v) >= 1) {
    const sign = v < 0 ? '-' : '';
    const abs = Math.abs(v);
    const whole = Math.trunc(abs);
    const seconds = whole % 60;
    const minutes = Math.trunc(whole / 60) % 60;
    const hours = Math.trunc(whole / 3600) % 24;
    const days = Math.trunc(whole / 86400);
    if (days) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${goG4(abs)}s`;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${goG4(v)}${prefix}s`;
}

export function humanizePercentage(v: number): string {
  return `${goG4(v * 100)}%`;
}

const FUNCTIONS: Readonly<Record<string, (v: number) => string>> = { humanize, humanize1024, humanizeDuration, humanizePercentage };

/** Expands an annotation template for an alert with these labels and value. */
export function expandTemplate(template: string, labels: Readonly<Record<string, string>>, value: number): string {
  return template.replace(/\{\{(.*?)\}\}/g, (whole, body: string) => {
    const inner = body.trim();
    const label = /^\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)$/.exec(inner);
    if (label) {
      const v = labels[label[1]];
      if (v === undefined) throw new Error(`template ${whole}: the alert has no label "${label[1]}"`);
      return v;
    }
    if (inner === '$value') return goFloat(value);
    const piped = /^\$value\s*\|\s*([a-zA-Z0-9]+)$/.exec(inner);
    if (piped && FUNCTIONS[piped[1]]) return FUNCTIONS[piped[1]](value);
    throw new Error(`template ${whole} is not supported by expandTemplate; extend alerts/go-template.ts and its tests`);
  });
}
