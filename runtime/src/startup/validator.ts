import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { DependencyDeclaration, ServiceDeclaration } from '../declaration/types';
import { kindOf } from '../kinds/kind';
import { CheckTimeoutError, errorMessage, runWithTimeout, type DependencyCheck } from '../degradation/check';
import { FLAG } from '../flags/flags';
import { LABEL } from '../metrics/catalog';
import type { RuntimeMetrics } from '../metrics/registry';
import { SecretRedactor } from '../secrets/redact';

export interface ValidationResult {
  /** `env:<VARIABLE>` or `dependency:<name>`. */
  readonly name: string;
  readonly status: 'pass' | 'fail' | 'warning';
  /** What was checked and, on failure, why; redacted, one line. */
  readonly message: string;
  /** Whether this check can fail the startup (a required variable, a critical dependency). */
  readonly critical: boolean;
  readonly duration_ms: number;
}

/** The seed's startup summary (000, Fase 1). */
export interface ValidationSummary {
  readonly status: 'healthy' | 'unhealthy' | 'skipped';
  readonly total_duration_ms: number;
  readonly total_checks: number;
  readonly passed: number;
  readonly warnings: number;
  readonly critical_failures: number;
  readonly results: readonly ValidationResult[];
  /** `feature_flag_disabled` when skipped; `critical_failures` or `warnings` when unhealthy. */
  readonly reason?: string;
}

export interface ValidateStartupOptions {
  readonly declaration: ServiceDeclaration;
  readonly env: NodeJS.ProcessEnv;
  /** One check per declared dependency (the same functions the degradation manager runs). */
  readonly checks: Readonly<Record<string, DependencyCheck>>;
  /** ENABLE_STARTUP_VALIDATION. */
  readonly enabled: boolean;
  /** STARTUP_FAIL_ON_WARNING: warnings make the summary unhealthy. */
  readonly failOnWarning: boolean;
  readonly metrics: RuntimeMetrics;
  readonly logger: Logger;
  /** @default SecretRedactor.forDeclaration(declaration, env) */
  readonly redactor?: SecretRedactor;
}

/** Thrown by assertStartupHealthy; its message names every failure, redacted, on one line. */
export class StartupValidationError extends Error {
  constructor(
    readonly summary: ValidationSummary,
    redactor: SecretRedactor = new SecretRedactor(),
  ) {
    super(redactor.redact(describeFailure(summary)));
    this.name = 'StartupValidationError';
  }
}

const round = (ms: number): number => Math.round(ms * 100) / 100;

function isSet(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

function matchesSchemes(value: string, schemes: readonly string[]): boolean {
  try {
    return schemes.includes(new URL(value.trim()).protocol);
  } catch {
    return false;
  }
}

/**
 * What each dependency's kind finds wrong with its split settings taken together (PostgreSQL: PGSSLMODE
 * and PGSSLROOTCERT), by variable. The kind's messages name the variable and the fix, never a secret.
 */
function splitProblems(declaration: ServiceDeclaration, env: NodeJS.ProcessEnv): { byVariable: Map<string, string>; byDependency: Map<string, string> } {
  const byVariable = new Map<string, string>();
  const byDependency = new Map<string, string>();
  for (const [name, dep] of Object.entries(declaration.dependencies)) {
    const check = kindOf(dep.kind)?.connection?.checkSplit;
    if (!check || !dep.connection) continue;
    const settings = Object.fromEntries(Object.entries(dep.connection).map(([setting, variable]) => [setting, isSet(env[variable]) ? env[variable] : undefined]));
    for (const problem of check(settings, dep.connection)) {
      const variable = dep.connection[problem.setting];
      if (variable && !byVariable.has(variable)) byVariable.set(variable, problem.message);
      if (!byDependency.has(name)) byDependency.set(name, problem.message);
    }
  }
  return { byVariable, byDependency };
}

/** Per env var: whether it is missing, malformed or fine. Never reads a value into a message (a kind's split check may name a non-secret one). */
function validateEnv(declaration: ServiceDeclaration, env: NodeJS.ProcessEnv): { results: ValidationResult[]; unusable: Map<string, string>; unusableDependencies: Map<string, string> } {
  // The connection rule of the kind using each variable, as the kind describes it.
  const urlRuleFor = new Map<string, { title: string; schemes: readonly string[]; example: string }>();
  const integerVars = new Set<string>(); // split settings that must be whole numbers (a port)
  for (const dep of Object.values(declaration.dependencies)) {
    const kind = kindOf(dep.kind);
    const schemes = kind?.connection?.urlSchemes;
    if (dep.env && kind && schemes && !urlRuleFor.has(dep.env)) urlRuleFor.set(dep.env, { title: kind.title, schemes, example: kind.connection?.urlExample ?? `${schemes[0]}//…` });
    for (const [setting, variable] of Object.entries(dep.connection ?? {})) if (kind?.connection?.split?.[setting]?.integer) integerVars.add(variable);
  }
  const results: ValidationResult[] = [];
  const unusable = new Map<string, string>(); // variable → why a dependency using it cannot be checked
  const split = splitProblems(declaration, env);
  for (const [name, decl] of Object.entries(declaration.env)) {
    const started = performance.now();
    const value = env[name];
    const about = decl.description ? ` (${decl.description})` : '';
    let status: ValidationResult['status'] = 'pass';
    let message = `${name} is set`;
    if (!isSet(value)) {
      unusable.set(name, `${name} is not set`);
      status = decl.required ? 'fail' : 'warning';
      message = decl.required
        ? `${name} is required but not set${about}; set it in the service's environment`
        : `${name} is not set${about}; the features that need it are off`;
    } else {
      const rule = urlRuleFor.get(name);
      if (integerVars.has(name) && !/^\d{1,5}$/.test(value.trim())) {
        unusable.set(name, `${name} is not a port number`);
        status = decl.required ? 'fail' : 'warning';
        message = `${name} is not a port number; expected a whole number such as 5432 (value not shown)`;
      } else if (rule && !matchesSchemes(value, rule.schemes)) {
        unusable.set(name, `${name} is not a valid ${rule.title} URL`);
        status = decl.required ? 'fail' : 'warning';
        message = `${name} is not a valid ${rule.title} URL; expected the form ${rule.example} (value not shown)`;
      }
    }
    // The settings taken together (an SSL mode that needs a root certificate that is not set): the kind's verdict.
    const problem = split.byVariable.get(name);
    if (problem && !(isSet(value) && unusable.has(name))) {
      unusable.set(name, problem);
      status = decl.required ? 'fail' : 'warning';
      message = problem;
    }
    results.push({ name: `env:${name}`, status, message, critical: decl.required, duration_ms: round(performance.now() - started) });
  }
  return { results, unusable, unusableDependencies: split.byDependency };
}

async function checkDependency(
  name: string,
  dep: DependencyDeclaration,
  check: DependencyCheck,
  limitMs: number,
  limitedBy: string,
  redactor: SecretRedactor,
): Promise<ValidationResult> {
  const label = `${name} (${dep.kind})`;
  const started = performance.now();
  const badStatus = dep.critical ? 'fail' : 'warning';
  try {
    await runWithTimeout(check, limitMs);
    const ms = performance.now() - started;
    return { name: `dependency:${name}`, status: 'pass', message: `${label} reachable in ${Math.round(ms)} ms`, critical: dep.critical, duration_ms: round(ms) };
  } catch (e) {
    const message =
      e instanceof CheckTimeoutError
        ? `${label} did not answer within ${e.timeoutMs} ms (${limitedBy})`
        : `${label} unreachable: ${redactor.redact(errorMessage(e))}`;
    return { name: `dependency:${name}`, status: badStatus, message, critical: dep.critical, duration_ms: round(performance.now() - started) };
  }
}

/**
 * Startup validation (seed 000, Fase 1): environment variables, connection-string shapes and
 * every dependency's check, in parallel, within the declared budgets. Returns the summary;
 * call assertStartupHealthy() to fail fast on it.
 */
export async function validateStartup(opts: ValidateStartupOptions): Promise<ValidationSummary> {
  const { declaration, env, checks, metrics } = opts;
  const logger = opts.logger.child({ component: 'startup' });
  const unknown = Object.keys(checks).filter((k) => !(k in declaration.dependencies));
  if (unknown.length) {
    throw new Error(
      `startup checks given for undeclared dependencies: ${unknown.join(', ')}; declared: ${Object.keys(declaration.dependencies).join(', ') || 'none'}`,
    );
  }

  if (!opts.enabled) {
    const skipped: ValidationSummary = {
      status: 'skipped',
      reason: 'feature_flag_disabled',
      total_duration_ms: 0,
      total_checks: 0,
      passed: 0,
      warnings: 0,
      critical_failures: 0,
      results: [],
    };
    logger.info({ status: skipped.status, reason: skipped.reason }, `startup validation skipped (${FLAG.startupValidation}=false)`);
    return skipped;
  }

  const redactor = opts.redactor ?? SecretRedactor.forDeclaration(declaration, env);
  const started = performance.now();
  const deadline = started + declaration.startup.timeoutMs;
  const { results: envResults, unusable, unusableDependencies } = validateEnv(declaration, env);

  const dependencyResults = await Promise.all(
    Object.entries(declaration.dependencies).map(async ([name, dep]): Promise<ValidationResult> => {
      const label = `${name} (${dep.kind})`;
      const split = kindOf(dep.kind)?.connection?.split ?? {};
      const variables = [...(dep.env ? [dep.env] : []), ...Object.entries(dep.connection ?? {}).filter(([setting, v]) => split[setting]?.required || isSet(env[v])).map(([, v]) => v)];
      const why = variables.map((v) => unusable.get(v)).find((w) => w !== undefined) ?? unusableDependencies.get(name);
      const status = dep.critical ? 'fail' : 'warning';
      if (why) return { name: `dependency:${name}`, status, message: `${label} not checked: ${why}`, critical: dep.critical, duration_ms: 0 };
      const check = checks[name];
      if (!check) {
        return { name: `dependency:${name}`, status: 'warning', message: `${label} not checked: no startup check was provided for it`, critical: dep.critical, duration_ms: 0 };
      }
      const remaining = Math.max(1, Math.floor(deadline - performance.now()));
      const { checkTimeoutMs } = declaration.startup;
      return remaining < checkTimeoutMs
        ? checkDependency(name, dep, check, remaining, 'startup.timeoutMs budget', redactor)
        : checkDependency(name, dep, check, checkTimeoutMs, 'startup.checkTimeoutMs', redactor);
    }),
  );

  const results = [...envResults, ...dependencyResults].map((r) => ({ ...r, message: redactor.redact(r.message) }));
  const criticalFailures = results.filter((r) => r.status === 'fail' && r.critical).length;
  const warnings = results.filter((r) => r.status === 'warning').length;
  const unhealthy = criticalFailures > 0 || (opts.failOnWarning && warnings > 0);
  const summary: ValidationSummary = {
    status: unhealthy ? 'unhealthy' : 'healthy',
    ...(unhealthy ? { reason: criticalFailures > 0 ? 'critical_failures' : 'warnings' } : {}),
    total_duration_ms: round(performance.now() - started),
    total_checks: results.length,
    passed: results.filter((r) => r.status === 'pass').length,
    warnings,
    critical_failures: criticalFailures,
    results,
  };

  metrics.startupValidationDurationSeconds.set(summary.total_duration_ms / 1000);
  metrics.startupValidationFailures.set({ [LABEL.level]: 'critical' }, criticalFailures);
  metrics.startupValidationFailures.set({ [LABEL.level]: 'warning' }, warnings);

  for (const r of results) {
    if (r.status === 'pass') continue;
    logger[r.status === 'fail' ? 'error' : 'warn']({ check: r.name, critical: r.critical, duration_ms: r.duration_ms }, r.message);
  }
  const { results: _omitted, ...counts } = summary;
  logger[unhealthy ? 'error' : 'info'](counts, describeFailure(summary));
  return summary;
}

/** One line for the process to log: what failed (or that all passed). */
export function describeFailure(summary: ValidationSummary): string {
  const n = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  if (summary.status === 'skipped') return `startup validation skipped (${summary.reason ?? 'disabled'})`;
  if (summary.status === 'healthy') {
    return `startup validation passed: ${summary.passed}/${summary.total_checks} checks, ${n(summary.warnings, 'warning')}, in ${Math.round(summary.total_duration_ms)} ms`;
  }
  const critical = summary.results.filter((r) => r.status === 'fail' && r.critical);
  const warned = summary.results.filter((r) => r.status === 'warning');
  const parts: string[] = [];
  if (critical.length) parts.push(n(critical.length, 'critical failure'));
  // Warnings fail the startup only with STARTUP_FAIL_ON_WARNING (reason "warnings" or alongside critical failures).
  const listWarnings = summary.reason === 'warnings';
  if (listWarnings) parts.push(`${n(warned.length, 'warning')} (${FLAG.startupFailOnWarning}=true)`);
  const listed = [...critical, ...(listWarnings ? warned : [])].map((r) => r.message.replace(/\s*[\r\n]+\s*/g, ' '));
  return `startup validation failed: ${parts.join(', ')}: ${listed.join('; ')}`;
}

/** Throws StartupValidationError when the summary is unhealthy. */
export function assertStartupHealthy(summary: ValidationSummary, redactor?: SecretRedactor): void {
  if (summary.status === 'unhealthy') throw new StartupValidationError(summary, redactor);
}
