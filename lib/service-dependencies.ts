import { CfnOutput, CfnResource, Duration, RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { DependencyDeclaration, ServiceDeclaration } from '@bulwark/runtime';
import { RDS_CA_BUNDLE_PATH } from '@bulwark/runtime/catalog';
import { invalidProp, type ObservedService, type ServiceSecret } from '@bulwark/constructs/aws';

/**
 * What the example app provisions for a declared service: an Amazon RDS for PostgreSQL instance for
 * each PostgreSQL dependency and an Amazon ElastiCache (Valkey) replication group for each Redis
 * dependency that takes its settings split (`connection: 'split'`), and the connection settings the
 * service's task gets for them: endpoints as plain environment, user names and passwords from the
 * generated secrets' JSON fields. The service's own secrets (the API key its writers present) are
 * generated too (`generatedSecrets`). Every other secret env var (a third party's API key, a URL) is
 * the operator's to fill: `operatorVariables` lists them.
 *
 * Specific to this example (not part of @bulwark/constructs, which stays dependency-agnostic: a team
 * with its own database passes its settings to ObservedService as `environment` and `secrets`).
 */

/** The database of a PostgreSQL dependency. */
export interface DatabaseOptions {
  /** @default t4g.micro (burstable Graviton: 2 vCPU, 1 GiB) */
  readonly instanceType?: ec2.InstanceType;
  /** @default PostgresEngineVersion.VER_17 (the newest 17.x; minor versions upgrade automatically) */
  readonly engineVersion?: rds.PostgresEngineVersion;
  /** Storage in GiB (gp3), encrypted. @default 20 */
  readonly allocatedStorage?: number;
  /** Storage autoscaling limit in GiB. @default 100 */
  readonly maxAllocatedStorage?: number;
  /** A standby in a second Availability Zone that RDS fails over to. @default true */
  readonly multiAz?: boolean;
  /** How long automated backups (point-in-time recovery) are kept: 1 to 35 days. @default Duration.days(7) */
  readonly backupRetention?: Duration;
  /** The port it listens on (the task gets it as PGPORT). @default 5433 (not the engine's 5432: cdk-nag RDS11) */
  readonly port?: number;
}

/** The cache of a Redis dependency. */
export interface CacheOptions {
  /** @default 'cache.t4g.micro' */
  readonly nodeType?: string;
  /** @default '8.0' (Valkey) */
  readonly engineVersion?: string;
  /** A primary and a replica in another Availability Zone, with automatic failover. @default true */
  readonly multiAz?: boolean;
  /** The port it listens on (the task gets it as REDIS_PORT). @default 6380 (not Redis' 6379: cdk-nag AEC5) */
  readonly port?: number;
}

export interface ServiceDependenciesOptions {
  /**
   * Where the databases and caches live.
   * @default - the VPC's isolated subnets (no route to or from the internet)
   */
  readonly subnets?: ec2.SubnetSelection;
  /**
   * RDS deletion protection: while on, neither `cdk destroy` nor removing the dependency from the
   * declaration can delete a database (CloudFormation fails instead). ElastiCache has none.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * What happens to the databases and caches when they leave the stack (`cdk destroy`, or the
   * dependency removed from the declaration): SNAPSHOT keeps a final snapshot of each (and the
   * database credentials secret, so the snapshot restores with its password), RETAIN keeps them
   * running, DESTROY deletes them with their data.
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;
  /** @default - DatabaseOptions' defaults */
  readonly database?: DatabaseOptions;
  /** @default - CacheOptions' defaults */
  readonly cache?: CacheOptions;
  /**
   * Secret env vars whose value only the service and its own clients share (an API key it checks),
   * which the stack therefore generates: a Secrets Manager secret each (64 letters and digits), given
   * to the task whole and named in a stack output so an operator can read it and hand it to clients.
   * @default - every required secret env var that no dependency reads
   */
  readonly generatedSecrets?: readonly string[];
}

export interface ServiceDependenciesProps extends ServiceDependenciesOptions {
  /** The service whose dependencies to provision. */
  readonly declaration: ServiceDeclaration;
  readonly vpc: ec2.IVpc;
}

const DEFAULTS = {
  databasePort: 5433,
  cachePort: 6380,
  allocatedStorage: 20,
  maxAllocatedStorage: 100,
  backupRetentionDays: 7,
  cacheNodeType: 'cache.t4g.micro',
  cacheEngineVersion: '8.0',
} as const;

/** One connection setting's value: plain environment, or from Secrets Manager. */
type SettingValue = { readonly value: string } | { readonly secret: ServiceSecret };

/** A provisioned PostgreSQL or Redis: reachable on `port`, and the value of each setting the kind reads. */
interface Provisioned extends ec2.IConnectable {
  readonly port: number;
  /** By the kind's setting name (host, port, password, …). */
  readonly settings: Readonly<Record<string, SettingValue>>;
}

/** `db` → `Db`, `read_replica` → `ReadReplica`: construct IDs and outputs. */
export function pascal(name: string): string {
  return name.replace(/(^|[_-])([a-z0-9])/g, (_m, _sep: string, c: string) => c.toUpperCase());
}

/** A PostgreSQL identifier (database, user) from a service name: letters, digits and `_`, starting with a letter. */
function identifier(name: string): string {
  return name.replace(/[^a-zA-Z0-9]/g, '_').replace(/^([^a-zA-Z])/, 'x$1').slice(0, 63);
}

/**
 * Amazon RDS for PostgreSQL for one dependency: encrypted storage, in isolated subnets, not publicly
 * accessible, TLS forced (`rds.force_ssl=1`) with a current CA, generated credentials in Secrets
 * Manager, automated backups, Multi-AZ; its security group admits nobody until `connectFrom`.
 */
export class PostgresDatabase extends Construct implements Provisioned {
  readonly instance: rds.DatabaseInstance;
  /** The generated master credentials (JSON `username`, `password`; RDS attaches `host`, `port`, `dbname`). */
  readonly credentials: rds.DatabaseSecret;
  /** The same secret, attached to the instance: what the task's PGUSER and PGPASSWORD come from. */
  readonly secret: secretsmanager.ISecret;
  readonly securityGroup: ec2.SecurityGroup;
  readonly connections: ec2.Connections;
  readonly port: number;
  readonly databaseName: string;
  readonly settings: Readonly<Record<string, SettingValue>>;

  constructor(scope: Construct, id: string, props: { readonly service: string; readonly vpc: ec2.IVpc; readonly subnets: ec2.SubnetSelection; readonly deletionProtection: boolean; readonly removalPolicy: RemovalPolicy; readonly options: DatabaseOptions }) {
    super(scope, id);
    const o = props.options;
    this.port = o.port ?? DEFAULTS.databasePort;
    this.databaseName = identifier(props.service);
    const engine = rds.DatabaseInstanceEngine.postgres({ version: o.engineVersion ?? rds.PostgresEngineVersion.VER_17 });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `PostgreSQL of ${props.service} (${id}): admits only the tasks of the service, on ${this.port}`,
      allowAllOutbound: false,
    });
    this.credentials = new rds.DatabaseSecret(this, 'Credentials', { username: identifier(props.service) });
    // The final snapshot is only usable with its password: keep the credentials as long as the data.
    this.credentials.applyRemovalPolicy(props.removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN);
    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine,
      instanceType: o.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.BURSTABLE4_GRAVITON, ec2.InstanceSize.MICRO),
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [this.securityGroup],
      publiclyAccessible: false,
      port: this.port,
      databaseName: this.databaseName,
      credentials: rds.Credentials.fromSecret(this.credentials),
      storageEncrypted: true,
      storageType: rds.StorageType.GP3,
      allocatedStorage: o.allocatedStorage ?? DEFAULTS.allocatedStorage,
      maxAllocatedStorage: o.maxAllocatedStorage ?? DEFAULTS.maxAllocatedStorage,
      multiAz: o.multiAz ?? true,
      backupRetention: o.backupRetention ?? Duration.days(DEFAULTS.backupRetentionDays),
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
      autoMinorVersionUpgrade: true,
      // A current root (in the service image's RDS CA bundle, PGSSLROOTCERT), and no plain connections.
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      parameterGroup: new rds.ParameterGroup(this, 'Parameters', {
        engine,
        description: `${props.service} (${id}): TLS only`,
        parameters: { 'rds.force_ssl': '1' },
      }),
    });
    this.secret = this.instance.secret!;
    this.connections = this.instance.connections;
    Validations.of(this.credentials).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'ECS injects PGUSER and PGPASSWORD when a task starts, so a rotation would leave every running task with a password that no longer works (new connections fail until the tasks are replaced). Rotate deliberately: change the password, then force a new deployment.',
    });
    if (!props.deletionProtection) {
      Validations.of(this.instance).acknowledge({ id: 'AwsSolutions-RDS10', reason: 'Deletion protection turned off on purpose through the deletionProtection prop (a test or short-lived stack that cdk destroy must remove); the removal policy still decides whether a final snapshot is kept.' });
    }
    if (o.multiAz === false) {
      Validations.of(this.instance).acknowledge({ id: 'AwsSolutions-RDS3', reason: 'Single-AZ on purpose through the database.multiAz prop (a test or cost-bound stack): an AZ outage takes the database, and with it the service (EMERGENCY), down until RDS recovers it.' });
    }
    this.settings = {
      host: { value: this.instance.dbInstanceEndpointAddress },
      port: { value: this.instance.dbInstanceEndpointPort },
      database: { value: this.databaseName },
      user: { secret: { secret: this.secret, field: 'username' } },
      password: { secret: { secret: this.secret, field: 'password' } },
      // The chain and the host name checked against the RDS CAs the service image carries.
      sslmode: { value: 'verify-full' },
      sslrootcert: { value: RDS_CA_BUNDLE_PATH },
    };
  }
}

/**
 * Amazon ElastiCache (Valkey, the Redis protocol) for one dependency: a replication group with
 * in-transit and at-rest encryption, an AUTH token generated into Secrets Manager, in isolated
 * subnets (its own subnet group), Multi-AZ with automatic failover; its security group admits
 * nobody until `connectFrom`.
 */
export class RedisCache extends Construct implements Provisioned {
  readonly replicationGroup: elasticache.CfnReplicationGroup;
  /** The AUTH token: JSON with `password`. */
  readonly authToken: secretsmanager.Secret;
  readonly securityGroup: ec2.SecurityGroup;
  readonly connections: ec2.Connections;
  readonly port: number;
  readonly settings: Readonly<Record<string, SettingValue>>;

  constructor(scope: Construct, id: string, props: { readonly service: string; readonly vpc: ec2.IVpc; readonly subnets: ec2.SubnetSelection; readonly removalPolicy: RemovalPolicy; readonly options: CacheOptions }) {
    super(scope, id);
    const o = props.options;
    const multiAz = o.multiAz ?? true;
    this.port = o.port ?? DEFAULTS.cachePort;
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Cache of ${props.service} (${id}): admits only the tasks of the service, on ${this.port}`,
      allowAllOutbound: false,
    });
    this.connections = new ec2.Connections({ securityGroups: [this.securityGroup], defaultPort: ec2.Port.tcp(this.port) });
    // ElastiCache AUTH tokens: 16 to 128 printable characters without @, " or /; letters and digits only here.
    this.authToken = new secretsmanager.Secret(this, 'AuthToken', {
      description: `AUTH token of the ${props.service} cache (${id}), generated: ElastiCache requires it, the service reads its "password" field as REDIS_PASSWORD`,
      generateSecretString: { secretStringTemplate: '{}', generateStringKey: 'password', excludePunctuation: true, passwordLength: 64 },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const subnetGroup = new elasticache.CfnSubnetGroup(this, 'Subnets', {
      description: `${props.service} cache (${id})`,
      subnetIds: props.vpc.selectSubnets(props.subnets).subnetIds,
    });
    this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'ReplicationGroup', {
      replicationGroupDescription: `${props.service} cache (${id})`,
      engine: 'valkey',
      engineVersion: o.engineVersion ?? DEFAULTS.cacheEngineVersion,
      cacheNodeType: o.nodeType ?? DEFAULTS.cacheNodeType,
      numCacheClusters: multiAz ? 2 : 1,
      automaticFailoverEnabled: multiAz,
      multiAzEnabled: multiAz,
      port: this.port,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
      transitEncryptionEnabled: true,
      atRestEncryptionEnabled: true,
      // A dynamic reference: CloudFormation resolves it, the template never holds the token.
      authToken: this.authToken.secretValueFromJson('password').unsafeUnwrap(),
      autoMinorVersionUpgrade: true,
    });
    // SNAPSHOT: CloudFormation takes a final snapshot before it deletes the group.
    this.replicationGroup.applyRemovalPolicy(props.removalPolicy);
    Validations.of(this.authToken).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The AUTH token is set on the replication group by CloudFormation at creation; a Secrets Manager rotation would change the secret without the group (ElastiCache rotates tokens with ModifyReplicationGroup and the ROTATE then SET strategy, outside CloudFormation), and running tasks read it only when they start.',
    });
    if (!multiAz) {
      Validations.of(this.replicationGroup).acknowledge({ id: 'AwsSolutions-AEC4', reason: 'Single node on purpose through the cache.multiAz prop: the cache is an optional dependency, so while it is down the service serves from PostgreSQL (DEGRADED) and recovers when ElastiCache replaces the node.' });
    }
    this.settings = {
      host: { value: this.replicationGroup.attrPrimaryEndPointAddress },
      port: { value: this.replicationGroup.attrPrimaryEndPointPort },
      password: { secret: { secret: this.authToken, field: 'password' } },
      // The server's certificate (Amazon's public CAs, which Node trusts) and host name verified.
      tls: { value: 'true' },
    };
  }
}

/**
 * The databases and caches a declared service's dependencies need, and the settings its task gets
 * for them (`environment` and `secrets`, for ObservedService). Call `connectFrom(service)` once the
 * service exists: only its security group may reach them, and ECS starts it after they exist.
 */
export class ServiceDependencies extends Construct {
  readonly declaration: ServiceDeclaration;
  /** A database per PostgreSQL dependency with split settings, by dependency name. */
  readonly databases: Readonly<Record<string, PostgresDatabase>>;
  /** A cache per Redis dependency with split settings, by dependency name. */
  readonly caches: Readonly<Record<string, RedisCache>>;
  /** Plain settings for the task (endpoints, ports, TLS modes): none of them secret. */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Settings from Secrets Manager for the task: user names and passwords, each a JSON field of a
   * generated secret, and the generated secrets whole.
   */
  readonly secrets: Readonly<Record<string, ServiceSecret>>;
  /** The service's own generated secrets (`generatedSecrets`), by env var. */
  readonly generated: Readonly<Record<string, GeneratedSecret>>;
  /** Secret env vars of the declaration these resources do not provide (API keys, URLs): the operator fills them. */
  readonly operatorVariables: readonly string[];

  constructor(scope: Construct, id: string, props: ServiceDependenciesProps) {
    super(scope, id);
    this.declaration = props.declaration;
    this.validate(props);
    const subnets = props.subnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.SNAPSHOT;
    const deletionProtection = props.deletionProtection ?? true;
    const service = props.declaration.name;

    const databases: Record<string, PostgresDatabase> = {};
    const caches: Record<string, RedisCache> = {};
    const environment: Record<string, string> = {};
    const secrets: Record<string, ServiceSecret> = {};
    for (const [name, dep] of Object.entries(props.declaration.dependencies)) {
      const connection = dep.connection;
      if (!connection) continue;
      // validate() refused split dependencies of any other kind.
      const provisioned: Provisioned =
        dep.kind === 'postgres'
          ? (databases[name] = new PostgresDatabase(this, pascal(name), { service, vpc: props.vpc, subnets, deletionProtection, removalPolicy, options: props.database ?? {} }))
          : (caches[name] = new RedisCache(this, pascal(name), { service, vpc: props.vpc, subnets, removalPolicy, options: props.cache ?? {} }));
      for (const [setting, variable] of Object.entries(connection)) {
        const value = provisioned.settings[setting];
        if (!value) continue;
        if ('value' in value) environment[variable] = value.value;
        else secrets[variable] = value.secret;
      }
    }
    const generated: Record<string, GeneratedSecret> = {};
    for (const variable of props.generatedSecrets ?? defaultGeneratedSecrets(props.declaration)) {
      generated[variable] = new GeneratedSecret(this, envVarId(variable), { service, variable });
      secrets[variable] = generated[variable].secret;
    }
    this.databases = databases;
    this.caches = caches;
    this.environment = environment;
    this.secrets = secrets;
    this.generated = generated;
    this.operatorVariables = Object.entries(props.declaration.env)
      .filter(([variable, v]) => v.secret && !(variable in secrets) && !(variable in environment))
      .map(([variable]) => variable);
  }

  /** Every database and cache, by dependency name. */
  get all(): Readonly<Record<string, PostgresDatabase | RedisCache>> {
    return { ...this.databases, ...this.caches };
  }

  /**
   * Lets `service`'s tasks (and nothing else) reach each database and cache on its port, and makes
   * CloudFormation create them before the ECS service, so its first tasks find them (an RDS
   * instance takes minutes; without this the tasks would fail startup validation until it exists).
   */
  connectFrom(service: ObservedService): void {
    for (const [name, p] of Object.entries(this.all)) {
      p.connections.allowFrom(service, ec2.Port.tcp(p.port), `${service.declaration.name} tasks to ${name}`);
    }
    (service.fargateService.node.defaultChild as CfnResource).node.addDependency(this);
  }

  private validate(props: ServiceDependenciesProps): void {
    const whole = (prop: string, v: number | undefined, min: number, max: number, what: string) => {
      if (v !== undefined && !Token.isUnresolved(v) && (!Number.isInteger(v) || v < min || v > max)) invalidProp(this, prop, `is ${v}; use ${what} from ${min} to ${max}`);
    };
    const d = props.database ?? {};
    whole('database.allocatedStorage', d.allocatedStorage, 20, 65_536, 'a whole number of GiB');
    whole('database.maxAllocatedStorage', d.maxAllocatedStorage, 20, 65_536, 'a whole number of GiB');
    const allocated = d.allocatedStorage ?? DEFAULTS.allocatedStorage;
    const max = d.maxAllocatedStorage ?? DEFAULTS.maxAllocatedStorage;
    if (max < allocated) invalidProp(this, 'database.maxAllocatedStorage', `is ${max} GiB, below database.allocatedStorage (${allocated} GiB); storage autoscaling can only grow`);
    whole('database.port', d.port, 1150, 65_535, 'a port');
    const days = d.backupRetention?.toDays({ integral: false });
    if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 35)) {
      invalidProp(this, 'database.backupRetention', `is ${days} days; use whole days from 1 to 35 (0 would turn automated backups and point-in-time recovery off)`);
    }
    const c = props.cache ?? {};
    whole('cache.port', c.port, 1, 65_535, 'a port');
    if (c.nodeType !== undefined && !/^cache\.[a-z0-9-]+\.[a-z0-9]+$/.test(c.nodeType)) invalidProp(this, 'cache.nodeType', `is ${JSON.stringify(c.nodeType)}; use an ElastiCache node type such as "cache.t4g.micro"`);
    if (c.engineVersion !== undefined && !/^\d+\.\d+$/.test(c.engineVersion)) invalidProp(this, 'cache.engineVersion', `is ${JSON.stringify(c.engineVersion)}; use a Valkey major.minor version such as "8.0"`);
    const removal = props.removalPolicy;
    if (removal !== undefined && ![RemovalPolicy.SNAPSHOT, RemovalPolicy.RETAIN, RemovalPolicy.DESTROY].includes(removal)) {
      invalidProp(this, 'removalPolicy', `is ${String(removal)}; use RemovalPolicy.SNAPSHOT (a final snapshot), RETAIN or DESTROY`);
    }
    for (const [name, dep] of Object.entries(props.declaration.dependencies)) unsupportedSplit(this, name, dep);
    const read = dependencyVariables(props.declaration);
    for (const variable of props.generatedSecrets ?? []) {
      const declared = props.declaration.env[variable];
      const list = Object.entries(props.declaration.env).filter(([v, d]) => d.secret && !read.has(v)).map(([v]) => v);
      const fix = `list only secret env vars of ${props.declaration.name} that no dependency reads (${list.join(', ') || 'it has none'})`;
      if (!declared) invalidProp(this, 'generatedSecrets', `names ${variable}, which ${props.declaration.name} does not declare; ${fix}`);
      else if (!declared.secret) invalidProp(this, 'generatedSecrets', `names ${variable}, which is not declared secret; ${fix}`);
      else if (read.has(variable)) invalidProp(this, 'generatedSecrets', `names ${variable}, which a dependency reads (its value comes from that dependency or the operator); ${fix}`);
    }
  }
}

/** Every env var a dependency reads: its own (`env`) and its split settings'. */
function dependencyVariables(declaration: ServiceDeclaration): Set<string> {
  return new Set(Object.values(declaration.dependencies).flatMap((d) => [...(d.env ? [d.env] : []), ...Object.values(d.connection ?? {})]));
}

/** The service's own credentials: required secrets that no dependency reads, so no one else issues them. */
function defaultGeneratedSecrets(declaration: ServiceDeclaration): string[] {
  const read = dependencyVariables(declaration);
  return Object.entries(declaration.env)
    .filter(([variable, v]) => v.secret && v.required && !read.has(variable))
    .map(([variable]) => variable);
}

/** `PROVIDERS_API_KEY` → `ProvidersApiKey`: construct IDs and outputs. */
function envVarId(variable: string): string {
  return pascal(variable.toLowerCase());
}

/**
 * One of the service's own secrets (an API key its clients present), generated into Secrets
 * Manager: 64 letters and digits (no punctuation, so it goes in a header or a shell as it is), given
 * to the task whole, and its ARN a stack output (`<Var>SecretArn`) for the operator to read it.
 */
export class GeneratedSecret extends Construct {
  readonly secret: secretsmanager.Secret;
  readonly output: CfnOutput;

  constructor(scope: Construct, id: string, props: { readonly service: string; readonly variable: string }) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description: `${props.variable} of ${props.service}, generated: the service reads it whole; its clients present it`,
      generateSecretString: { excludePunctuation: true, includeSpace: false, passwordLength: 64 },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: `ECS injects ${props.variable} when a task starts and the service's clients hold a copy, so a rotation Lambda would break both: running tasks keep the old key and clients do not learn the new one. Rotate deliberately: put a new value, force a new deployment, then give clients the new key.`,
    });
    this.output = new CfnOutput(this, 'Arn', {
      value: this.secret.secretArn,
      description: `Secrets Manager secret of ${props.variable} (generated; the value is never in the template): aws secretsmanager get-secret-value --secret-id <this ARN> --query SecretString --output text`,
    });
    this.output.overrideLogicalId(`${id}SecretArn`);
  }
}

/** A split dependency of another kind has nothing here to provision it: say so rather than leave its settings unset. */
function unsupportedSplit(scope: Construct, name: string, dep: DependencyDeclaration): void {
  if (dep.connection && dep.kind !== 'postgres' && dep.kind !== 'redis') {
    invalidProp(scope, 'declaration', `has dependency "${name}" of kind ${dep.kind} with split connection settings, which this example provisions only for postgres and redis; give it one variable (env) for the operator to fill`);
  }
}
