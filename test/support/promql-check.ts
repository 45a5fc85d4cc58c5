/**
 * A PromQL checker for generated rules and dashboards: parses with the Prometheus project's own
 * grammar (@prometheus-io/lezer-promql) and checks every metric and label a query names against
 * the runtime's metric catalog, so a typo'd or renamed metric fails a test instead of silently
 * blinding an alert or a panel.
 */
import { parser } from '@prometheus-io/lezer-promql';
import { SCRAPE_SERIES, TARGET_LABELS, catalogSeries, type MetricSpec } from '@bulwark/runtime/catalog';

export interface PromQLProblem {
  expr: string;
  message: string;
}

/**
 * Series the catalog does not know but the caller does (recording-rule outputs such as
 * `service:http_requests_errors:ratio_rate5m`). A Set names them without checking their labels;
 * a Map also gives the labels their series carry, so matchers and groupings on them are checked.
 */
export type ExtraSeries = ReadonlySet<string> | ReadonlyMap<string, Iterable<string>>;

/** Grafana's built-in interval variables, replaced by a duration so dashboard queries parse. */
const GRAFANA_INTERVAL = /\$\{?__(rate_interval|interval|range)(_ms|_s)?\}?/g;

/** The metric-name pseudo-label. */
const NAME_LABEL = '__name__';

interface SyntaxNodeLike {
  readonly name: string;
  readonly from: number;
  readonly to: number;
  readonly type: { readonly isError: boolean };
  readonly firstChild: SyntaxNodeLike | null;
  readonly nextSibling: SyntaxNodeLike | null;
}

/** Labels of an expression's result: a set, or `null` when unknown (an earlier problem, or a scalar from elsewhere). */
type Labels = Set<string> | null;

const EXPRESSION_NODES = new Set([
  'AggregateExpr',
  'BinaryExpr',
  'FunctionCall',
  'MatrixSelector',
  'NumberDurationLiteral',
  'OffsetExpr',
  'ParenExpr',
  'StringLiteral',
  'SubqueryExpr',
  'UnaryExpr',
  'VectorSelector',
  'StepInvariantExpr',
  'AnchoredExpr',
  'SmoothedExpr',
]);

/** Functions whose result has no labels at all. */
const LABELLESS_FUNCTIONS = new Set(['vector', 'time', 'scalar', 'pi']);

/**
 * Parses `expr` and returns every problem found: parse errors, metric names not in the runtime
 * catalog (histogram `_bucket`/`_sum`/`_count` included), Prometheus' own scrape series (`up`) or `extraSeries`, and label matchers,
 * `by`/`without`/`on`/`ignoring`/`group_left` labels that the series involved do not carry.
 * An empty list means the query is valid and names only real series.
 */
/** `kindMetrics`: the metrics of kinds beyond the built-in ones (a team's own), known like the catalog's. */
export function checkPromQL(expr: string, extraSeries?: ExtraSeries, kindMetrics: readonly MetricSpec[] = []): PromQLProblem[] {
  return new Checker(expr, extraSeries, kindMetrics).run();
}

class Checker {
  private readonly problems: PromQLProblem[] = [];
  private readonly text: string;
  private readonly series: Map<string, Set<string> | null>;

  constructor(
    private readonly expr: string,
    extraSeries?: ExtraSeries,
    kindMetrics: readonly MetricSpec[] = [],
  ) {
    this.text = expr.replace(GRAFANA_INTERVAL, '5m');
    this.series = new Map<string, Set<string> | null>();
    for (const [name, s] of catalogSeries(kindMetrics)) this.series.set(name, s.labels);
    for (const name of Object.values(SCRAPE_SERIES)) this.series.set(name, new Set(TARGET_LABELS));
    if (extraSeries instanceof Map) {
      for (const [name, labels] of extraSeries) this.series.set(name, new Set(labels));
    } else if (extraSeries) {
      for (const name of extraSeries as ReadonlySet<string>) this.series.set(name, null);
    }
  }

  run(): PromQLProblem[] {
    if (this.text.trim() === '') return [{ expr: this.expr, message: 'empty expression' }];
    const top = parser.parse(this.text).topNode as unknown as SyntaxNodeLike;
    const errors = this.errorNodes(top);
    if (errors.length > 0) {
      for (const e of errors) {
        const near = this.text.slice(e.from, Math.max(e.to, e.from + 12)).trim();
        this.report(`parse error at offset ${e.from}${near ? ` near "${near}"` : ' (unexpected end of expression)'}`);
      }
      return this.problems;
    }
    const root = children(top).find((c) => EXPRESSION_NODES.has(c.name));
    if (root) this.labelsOf(root);
    return this.problems;
  }

  private report(message: string): void {
    if (!this.problems.some((p) => p.message === message)) this.problems.push({ expr: this.expr, message });
  }

  private source(n: SyntaxNodeLike): string {
    return this.text.slice(n.from, n.to);
  }

  private errorNodes(n: SyntaxNodeLike): SyntaxNodeLike[] {
    if (n.type.isError) return [n];
    return children(n).flatMap((c) => this.errorNodes(c));
  }

  /** Walks an expression, reporting problems, and returns the labels of its result. */
  private labelsOf(n: SyntaxNodeLike): Labels {
    switch (n.name) {
      case 'VectorSelector':
        return this.selector(n);
      case 'MatrixSelector':
      case 'ParenExpr':
      case 'UnaryExpr':
      case 'OffsetExpr':
      case 'SubqueryExpr':
      case 'StepInvariantExpr':
      case 'AnchoredExpr':
      case 'SmoothedExpr': {
        const inner = children(n).find((c) => EXPRESSION_NODES.has(c.name));
        return inner ? this.labelsOf(inner) : null;
      }
      case 'NumberDurationLiteral':
      case 'StringLiteral':
        return new Set();
      case 'FunctionCall':
        return this.functionCall(n);
      case 'AggregateExpr':
        return this.aggregate(n);
      case 'BinaryExpr':
        return this.binary(n);
      default:
        return null;
    }
  }

  private selector(n: SyntaxNodeLike): Labels {
    const ident = children(n).find((c) => c.name === 'Identifier');
    const matchers = children(children(n).find((c) => c.name === 'LabelMatchers') ?? null);
    const names: string[] = [];
    const matcherLabels: string[] = [];
    if (ident) names.push(this.source(ident));
    for (const m of matchers) {
      if (m.name === 'QuotedLabelName') {
        names.push(unquote(this.source(m)));
        continue;
      }
      const labelNode = children(m).find((c) => c.name === 'LabelName' || c.name === 'QuotedLabelName');
      if (!labelNode) continue;
      const label = labelNode.name === 'QuotedLabelName' ? unquote(this.source(labelNode)) : this.source(labelNode);
      if (label !== NAME_LABEL) {
        matcherLabels.push(label);
        continue;
      }
      const op = this.source(children(m).find((c) => c.name === 'MatchOp') ?? m);
      const value = unquote(this.source(children(m).filter((c) => c.name === 'StringLiteral').pop() ?? m));
      if (op === '=') names.push(value);
      else if (op === '=~') {
        const re = anchored(value);
        const matched = re ? [...this.series.keys()].filter((s) => re.test(s)) : [];
        if (matched.length === 0) this.report(`${NAME_LABEL}=~"${value}" matches no metric in the runtime catalog`);
        names.push(...matched);
      } else this.report(`${NAME_LABEL}${op}"${value}" selects by exclusion: name the metric instead`);
    }
    if (names.length === 0) {
      this.report(`selector ${this.source(n)} names no metric`);
      return null;
    }
    let labels: Set<string> | null = new Set();
    for (const name of new Set(names)) {
      if (!this.series.has(name)) {
        const hint = closest(name, [...this.series.keys()]);
        this.report(`unknown metric "${name}": not in the runtime metric catalog${hint ? ` (did you mean "${hint}"?)` : ''}`);
        return null;
      }
      const own = this.series.get(name) ?? null;
      if (own === null) labels = null;
      else if (labels) for (const l of own) labels.add(l);
    }
    if (labels) {
      for (const l of matcherLabels) {
        if (!labels.has(l)) this.report(`label "${l}" is not a label of ${names.join(', ')} (it has: ${[...labels].sort().join(', ')})`);
      }
    }
    return labels;
  }

  private functionCall(n: SyntaxNodeLike): Labels {
    const fn = this.source(children(n).find((c) => c.name === 'FunctionIdentifier') ?? n);
    const args = children(children(n).find((c) => c.name === 'FunctionCallBody') ?? null).filter((c) => EXPRESSION_NODES.has(c.name));
    const argLabels = args.map((a) => this.labelsOf(a));
    if (LABELLESS_FUNCTIONS.has(fn)) return new Set();
    if (fn === 'absent' || fn === 'absent_over_time') return this.equalityLabels(args[0]);
    const vectorArgs = args.map((a, i) => ({ a, l: argLabels[i] })).filter(({ a }) => a.name !== 'StringLiteral' && a.name !== 'NumberDurationLiteral');
    if (vectorArgs.some(({ l }) => l === null)) return null;
    const out = new Set<string>(vectorArgs.flatMap(({ l }) => [...(l as Set<string>)]));
    if (fn === 'histogram_quantile' || fn === 'histogram_fraction') out.delete('le');
    if (fn === 'label_replace' || fn === 'label_join') {
      const dst = args[1];
      if (dst?.name === 'StringLiteral') out.add(unquote(this.source(dst)));
      if (fn === 'label_replace' && args[3]?.name === 'StringLiteral') this.requireLabel(unquote(this.source(args[3])), argLabels[0], `${fn} source`);
    }
    return out;
  }

  /** Labels `absent()` gives its result: the equality matchers of its selector. */
  private equalityLabels(arg: SyntaxNodeLike | undefined): Labels {
    let sel: SyntaxNodeLike | null = arg ?? null;
    while (sel && sel.name !== 'VectorSelector') sel = children(sel).find((c) => EXPRESSION_NODES.has(c.name)) ?? null;
    const out = new Set<string>();
    for (const m of children(children(sel).find((c) => c.name === 'LabelMatchers') ?? null)) {
      const label = children(m).find((c) => c.name === 'LabelName');
      const op = children(m).find((c) => c.name === 'MatchOp');
      if (label && op && this.source(op) === '=' && this.source(label) !== NAME_LABEL) out.add(this.source(label));
    }
    return out;
  }

  private aggregate(n: SyntaxNodeLike): Labels {
    const op = this.source(children(n).find((c) => c.name === 'AggregateOp') ?? n);
    const body = children(children(n).find((c) => c.name === 'FunctionCallBody') ?? null).filter((c) => EXPRESSION_NODES.has(c.name));
    const inner = body.length > 0 ? this.labelsOf(body[body.length - 1]) : null;
    for (const param of body.slice(0, -1)) this.labelsOf(param);
    const modifier = children(n).find((c) => c.name === 'AggregateModifier');
    const groupingNode = children(modifier ?? null).find((c) => c.name === 'GroupingLabels');
    const grouping = groupingNode ? this.groupingLabels(groupingNode) : [];
    const kind = modifier ? (children(modifier).find((c) => c.name === 'By' || c.name === 'Without')?.name ?? 'By') : null;
    for (const l of grouping) this.requireLabel(l, inner, `${op} ${kind === 'Without' ? 'without' : 'by'}`);
    let out: Labels;
    if (op === 'topk' || op === 'bottomk' || op === 'limitk' || op === 'limit_ratio') out = inner ? new Set(inner) : null;
    else if (kind === 'By') out = new Set(grouping);
    else if (kind === 'Without') out = inner ? new Set([...inner].filter((l) => !grouping.includes(l))) : null;
    else out = new Set();
    if (op === 'count_values' && out && body[0]?.name === 'StringLiteral') out.add(unquote(this.source(body[0])));
    return out;
  }

  private binary(n: SyntaxNodeLike): Labels {
    const operands = children(n).filter((c) => EXPRESSION_NODES.has(c.name));
    const [left, right] = operands.map((o) => this.labelsOf(o));
    const opNode = children(n).find((c) => !EXPRESSION_NODES.has(c.name) && c.name !== 'BoolModifier' && c.name !== 'MatchingModifierClause');
    const op = opNode ? this.source(opNode) : '';
    const leftScalar = operands[0] && isScalarLiteral(operands[0]);
    const rightScalar = operands[1] && isScalarLiteral(operands[1]);
    const matching = children(n).find((c) => c.name === 'MatchingModifierClause');
    if (matching) {
      const clauseChildren = children(matching);
      const kind = clauseChildren.find((c) => c.name === 'On' || c.name === 'Ignoring')?.name;
      const lists = clauseChildren.filter((c) => c.name === 'GroupingLabels').map((g) => this.groupingLabels(g));
      const matchLabels = lists[0] ?? [];
      for (const l of matchLabels) {
        if (kind === 'On') {
          this.requireLabel(l, left ?? null, 'on (left side)');
          this.requireLabel(l, right ?? null, 'on (right side)');
        } else if (left && right && !left.has(l) && !right.has(l)) {
          this.report(`ignoring label "${l}" is on neither side of "${op}"`);
        }
      }
      const group = clauseChildren.find((c) => c.name === 'GroupLeft' || c.name === 'GroupRight')?.name;
      const extra = lists[1] ?? [];
      if (group) {
        const oneSide = group === 'GroupLeft' ? right : left;
        for (const l of extra) this.requireLabel(l, oneSide ?? null, group === 'GroupLeft' ? 'group_left' : 'group_right');
        const manySide = group === 'GroupLeft' ? left : right;
        return manySide ? new Set([...manySide, ...extra]) : null;
      }
    }
    if (leftScalar) return right ?? null;
    if (rightScalar) return left ?? null;
    if (op === 'or') return left && right ? new Set([...left, ...right]) : null;
    return left ?? null;
  }

  private groupingLabels(g: SyntaxNodeLike): string[] {
    return children(g)
      .filter((c) => c.name === 'LabelName' || c.name === 'QuotedLabelName')
      .map((c) => (c.name === 'QuotedLabelName' ? unquote(this.source(c)) : this.source(c)));
  }

  private requireLabel(label: string, available: Labels, where: string): void {
    if (available === null || available.has(label)) return;
    this.report(`${where} label "${label}" is not a label of the series inside (they have: ${[...available].sort().join(', ') || 'no labels'})`);
  }
}

function children(n: SyntaxNodeLike | null): SyntaxNodeLike[] {
  const out: SyntaxNodeLike[] = [];
  for (let c = n?.firstChild ?? null; c; c = c.nextSibling) out.push(c);
  return out;
}

function isScalarLiteral(n: SyntaxNodeLike): boolean {
  if (n.name === 'NumberDurationLiteral') return true;
  if (n.name === 'ParenExpr' || n.name === 'UnaryExpr') {
    const inner = children(n).find((c) => EXPRESSION_NODES.has(c.name));
    return inner ? isScalarLiteral(inner) : false;
  }
  return false;
}

function unquote(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && (t[0] === '"' || t[0] === "'" || t[0] === '`') && t[t.length - 1] === t[0]) {
    return t.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return t;
}

function anchored(pattern: string): RegExp | null {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch {
    return null;
  }
}

/** The catalog name nearest to a typo, when it is close enough to be a useful hint. */
function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(3, Math.floor(name.length / 4)) + 1;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}
