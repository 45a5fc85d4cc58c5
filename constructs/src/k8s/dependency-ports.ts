/**
 * The port each declared dependency is reached on, for the egress rules: `dependencyPorts`, else
 * the port its connection settings given in `env` name, else its kind's usual port (`defaultPort`),
 * else none known: HTTPS (443, always open) is assumed.
 */
import { kindOf, type DependencyDeclaration, type ServiceDeclaration } from '@bulwark/runtime/declaration';

export interface DependencyPort {
  readonly name: string;
  readonly port: number;
  /** No port is known (a kind without `defaultPort`, no URL in env): 443 is assumed. */
  readonly assumed?: true;
}

/** HTTPS APIs (OpenAI, S3, …): always open when egress is restricted, and assumed where no port is known. */
export const HTTPS_PORT = 443;

/** URL schemes whose default port is not the dependency kind's. */
const SCHEME_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/**
 * The port a dependency's connection settings given in `env` name: its split port variable
 * (PGPORT), or the port of its URL variable (explicit, or 80/443 for http/https). Secret variables
 * never reach `env`, so only non-secret settings count.
 */
function portInEnv(
  dependency: DependencyDeclaration,
  env: Readonly<Record<string, string>>,
): { variable: string; port: number } | { variable: string; invalid: string } | undefined {
  const split = dependency.connection?.port;
  if (split !== undefined && env[split] !== undefined) {
    const port = Number(env[split]);
    return isPort(port) ? { variable: split, port } : { variable: split, invalid: env[split] };
  }
  const variable = dependency.env;
  const value = variable !== undefined ? env[variable] : undefined;
  if (variable === undefined || value === undefined || !URL.canParse(value)) return undefined;
  const url = new URL(value);
  const port = url.port ? Number(url.port) : SCHEME_PORTS[url.protocol];
  return port !== undefined ? { variable, port } : undefined;
}

/** Every declared dependency's port, sorted by name, and the problems (`prop: message`) found. */
export function resolveDependencyPorts(
  service: ServiceDeclaration,
  given: Readonly<Record<string, number>>,
  env: Readonly<Record<string, string>>,
): { ports: DependencyPort[]; problems: string[] } {
  const problems: string[] = [];
  const declared = Object.keys(service.dependencies).sort();
  for (const [name, port] of Object.entries(given)) {
    if (!(name in service.dependencies)) {
      problems.push(`dependencyPorts.${name}: "${service.name}" declares no dependency of that name; declared: ${declared.join(', ') || '(none)'}`);
    } else if (!isPort(port)) {
      problems.push(`dependencyPorts.${name}: must be a whole number from 1 to 65535, got ${JSON.stringify(port)}`);
    }
  }
  const ports: DependencyPort[] = [];
  for (const name of declared) {
    const dependency = service.dependencies[name]!;
    const inEnv = portInEnv(dependency, env);
    if (inEnv && 'invalid' in inEnv) {
      problems.push(`env.${inEnv.variable}: is the port of dependency "${name}": must be a whole number from 1 to 65535, got ${JSON.stringify(inEnv.invalid)}`);
      continue;
    }
    if (given[name] !== undefined && inEnv && given[name] !== inEnv.port) {
      problems.push(`dependencyPorts.${name}: ${given[name]} differs from the port env.${inEnv.variable} gives (${inEnv.port}), the one the service connects to; drop one of them`);
      continue;
    }
    const port = given[name] ?? inEnv?.port ?? kindOf(dependency.kind)?.defaultPort;
    ports.push(port !== undefined ? { name, port } : { name, port: HTTPS_PORT, assumed: true });
  }
  return { ports, problems };
}
