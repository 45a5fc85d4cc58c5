/**
 * What the example app provisions for the providers service (lib/service-dependencies.ts): Amazon
 * RDS for PostgreSQL and Amazon ElastiCache (Valkey), encrypted, private, reachable only from the
 * service's tasks; no placeholder secret; the task gets every connection setting the declaration's
 * kinds read, secrets as fields of the generated secrets; the service's API key generated, whole, and
 * its secret named in a stack output; what `cdk destroy` keeps; invalid props refused naming the prop.
 */
import { App, Duration, RemovalPolicy, Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { IConstruct } from 'constructs';
import { createRuntime, defineKind, defineService, kindOf, registerKind, type ServiceDeclaration } from '@bulwark/runtime';
import { METRICS, RDS_CA_BUNDLE_PATH } from '@bulwark/runtime/catalog';
import { APP_CONTAINER_NAME, InvalidPropError } from '@bulwark/constructs/aws';
import { providersService } from '../../../lib/services';
import { API_KEY_ENV } from '../../../lib/services/providers';
import { ServiceDependencies, type ServiceDependenciesProps } from '../../../lib/service-dependencies';
import type { ServiceStack } from '../../../lib/service-stack';
import { acknowledgements, joinToText, nagFindings, synthProviders, type FlagSet } from './support';
import { LogCapture } from '../../runtime/logging/capture';

type Json = any;

/** The logical ID of a construct's CloudFormation resource. */
function logicalId(c: IConstruct): string {
  const stack = Stack.of(c);
  return stack.getLogicalId((c.node.defaultChild ?? c) as CfnElement);
}

const synths = { defaults: synthProviders({}, 'defaults'), recommended: synthProviders({}, 'recommended') };
const { stack, template } = synths.defaults;
const resources: Record<string, Json> = template.toJSON().Resources;
const db = stack.serviceDependencies.databases.db!;
const cache = stack.serviceDependencies.caches.cache!;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type) as [string, Json][];
const appContainer = (t: Template): Json => (Object.values(t.findResources('AWS::ECS::TaskDefinition'))[0] as Json).Properties.ContainerDefinitions.find((c: Json) => c.Name === APP_CONTAINER_NAME);
const app = appContainer(template);
const environment: Record<string, unknown> = Object.fromEntries(app.Environment.map((e: Json) => [e.Name, e.Value]));
const secrets: Record<string, string> = Object.fromEntries(app.Secrets.map((s: Json) => [s.Name, joinToText(s.ValueFrom)]));
const isolatedSubnets = stack.vpc.isolatedSubnets.map((s) => logicalId(s));
const apiKey = stack.serviceDependencies.generated[API_KEY_ENV]!;

describe('the providers stack provisions PostgreSQL (Amazon RDS)', () => {
  const instance = resources[logicalId(db.instance)];
  const p = instance.Properties;

  it('encrypted, not publicly accessible, in the isolated subnets, TLS forced with a current CA', () => {
    expect(instance.Type).toBe('AWS::RDS::DBInstance');
    expect([p.Engine, p.StorageEncrypted, p.PubliclyAccessible, p.CACertificateIdentifier]).toEqual(['postgres', true, false, 'rds-ca-rsa2048-g1']);
    const subnetGroup = resources[p.DBSubnetGroupName.Ref];
    expect(subnetGroup.Properties.SubnetIds.map((s: Json) => s.Ref).sort()).toEqual([...isolatedSubnets].sort());
    expect(isolatedSubnets).toHaveLength(2);
    expect(resources[p.DBParameterGroupName.Ref].Properties.Parameters).toEqual({ 'rds.force_ssl': '1' });
  });

  it('Multi-AZ, backups kept 7 days, a port other than 5432, credentials generated into Secrets Manager', () => {
    expect([p.MultiAZ, p.BackupRetentionPeriod, p.Port]).toEqual([true, 7, '5433']);
    const credentials = logicalId(db.credentials);
    expect(joinToText(p.MasterUserPassword)).toBe(`{{resolve:secretsmanager:<Ref:${credentials}>:SecretString:password::}}`);
    expect(joinToText(p.MasterUsername)).toBe(`{{resolve:secretsmanager:<Ref:${credentials}>:SecretString:username::}}`);
    expect(resources[credentials].Properties.GenerateSecretString).toMatchObject({ GenerateStringKey: 'password', SecretStringTemplate: JSON.stringify({ username: 'providers' }) });
  });

  it('by default: deletion protection on, a final snapshot on removal, the credentials kept with it', () => {
    expect(p.DeletionProtection).toBe(true);
    expect([instance.DeletionPolicy, instance.UpdateReplacePolicy]).toEqual(['Snapshot', 'Snapshot']);
    expect(resources[logicalId(db.credentials)].DeletionPolicy).toBe('Retain');
  });
});

describe('the providers stack provisions the cache (Amazon ElastiCache, Valkey)', () => {
  const group = resources[logicalId(cache.replicationGroup)];
  const p = group.Properties;

  it('encrypted in transit and at rest, with an AUTH token from Secrets Manager (a dynamic reference: never in the template)', () => {
    expect([p.Engine, p.TransitEncryptionEnabled, p.AtRestEncryptionEnabled]).toEqual(['valkey', true, true]);
    expect(joinToText(p.AuthToken)).toBe(`{{resolve:secretsmanager:<Ref:${logicalId(cache.authToken)}>:SecretString:password::}}`);
    expect(resources[logicalId(cache.authToken)].Properties.GenerateSecretString).toMatchObject({ GenerateStringKey: 'password', ExcludePunctuation: true, PasswordLength: 64 });
  });

  it('in the isolated subnets (its own subnet group), its own security group, Multi-AZ with failover, a port other than 6379', () => {
    expect(resources[p.CacheSubnetGroupName.Ref].Properties.SubnetIds.map((s: Json) => s.Ref).sort()).toEqual([...isolatedSubnets].sort());
    expect(p.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [logicalId(cache.securityGroup), 'GroupId'] }]);
    expect([p.MultiAZEnabled, p.AutomaticFailoverEnabled, p.NumCacheClusters, p.Port]).toEqual([true, true, 2, 6380]);
  });

  it('takes a final snapshot on removal by default', () => {
    expect([group.DeletionPolicy, group.UpdateReplacePolicy]).toEqual(['Snapshot', 'Snapshot']);
  });
});

describe('network: each reachable only from the service, on its port', () => {
  const serviceSg = stack.app.connections.securityGroups.map((sg) => logicalId(sg));
  const ingressTo = (sgId: string) => ofType('AWS::EC2::SecurityGroupIngress').filter(([, r]) => JSON.stringify(r.Properties.GroupId) === JSON.stringify({ 'Fn::GetAtt': [sgId, 'GroupId'] }));

  it.each([
    ['PostgreSQL', () => db.securityGroup, () => db.port],
    ['the cache', () => cache.securityGroup, () => cache.port],
  ] as const)('%s: one ingress rule, from the tasks\u2019 security group, on its port; no CIDR rule, no egress', (_name, sg, port) => {
    const id = logicalId(sg());
    const rules = ingressTo(id);
    expect(rules).toHaveLength(1);
    const rule = rules[0]![1].Properties;
    expect(serviceSg).toHaveLength(1);
    expect(rule).toMatchObject({ IpProtocol: 'tcp', FromPort: port(), ToPort: port(), SourceSecurityGroupId: { 'Fn::GetAtt': [serviceSg[0], 'GroupId'] } });
    const group = resources[id].Properties;
    expect(group.SecurityGroupIngress).toBeUndefined();
    // allowAllOutbound false: CDK's placeholder rule (255.255.255.255/32, ICMP 252-86) that matches no traffic.
    expect(group.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32', IpProtocol: 'icmp' })]);
  });

  it('the isolated subnets have no route out (no NAT gateway, no internet gateway)', () => {
    const tables = new Set(ofType('AWS::EC2::SubnetRouteTableAssociation').filter(([, r]) => isolatedSubnets.includes(r.Properties.SubnetId.Ref)).map(([, r]) => r.Properties.RouteTableId.Ref));
    expect(tables.size).toBe(2);
    expect(ofType('AWS::EC2::Route').filter(([, r]) => tables.has(r.Properties.RouteTableId.Ref))).toEqual([]);
  });

  it('the ECS service is created after the database and the cache, so its first tasks find them', () => {
    const service = ofType('AWS::ECS::Service')[0]![1];
    expect(service.DependsOn).toEqual(expect.arrayContaining([logicalId(db.instance), logicalId(cache.replicationGroup), logicalId(db.credentials)]));
  });
});

describe('the task gets every connection setting the declaration reads', () => {
  /** Per split dependency, its kind's settings: the variable, and whether the kind requires it or holds a secret in it. */
  const splitSettings = Object.entries(providersService.dependencies).flatMap(([name, dep]) =>
    Object.entries(dep.connection ?? {}).map(([setting, variable]) => {
      const { required, secret = false } = kindOf(dep.kind)!.connection!.split![setting]!;
      return { name, setting, variable, required, secret };
    }),
  );

  it('derived from the declaration and its kinds: every required setting set, every secret one from Secrets Manager, nothing secret as plain environment', () => {
    expect(splitSettings.length).toBeGreaterThan(8);
    for (const s of splitSettings.filter((x) => x.required || x.secret)) expect({ variable: s.variable, set: s.variable in environment || s.variable in secrets }).toEqual({ variable: s.variable, set: true });
    for (const s of splitSettings.filter((x) => x.secret)) expect({ variable: s.variable, from: s.variable in secrets ? 'secrets' : 'environment' }).toEqual({ variable: s.variable, from: 'secrets' });
    const secretVars = Object.entries(providersService.env).filter(([, v]) => v.secret).map(([k]) => k);
    for (const v of secretVars) {
      expect(Object.keys(secrets)).toContain(v);
      expect(Object.keys(environment)).not.toContain(v);
    }
    // Nothing undeclared, nothing twice.
    for (const v of [...Object.keys(secrets), ...Object.keys(environment).filter((k) => splitSettings.some((s) => s.variable === k))]) expect(Object.keys(providersService.env)).toContain(v);
    expect(Object.keys(secrets).filter((k) => k in environment)).toEqual([]);
  });

  it('PostgreSQL: the endpoint, the database, verify-full against the image\u2019s RDS CA bundle; user and password as fields of the generated secret', () => {
    const instance = logicalId(db.instance);
    const attached = logicalId(db.secret);
    expect(environment).toMatchObject({
      PGHOST: { 'Fn::GetAtt': [instance, 'Endpoint.Address'] },
      PGPORT: { 'Fn::GetAtt': [instance, 'Endpoint.Port'] },
      PGDATABASE: 'providers',
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: RDS_CA_BUNDLE_PATH,
    });
    // ValueFrom is `<secret ARN>:<JSON field>::` (the attachment's Ref is the secret's ARN).
    expect(resources[attached].Type).toBe('AWS::SecretsManager::SecretTargetAttachment');
    expect(resources[attached].Properties.SecretId).toEqual({ Ref: logicalId(db.credentials) });
    expect([secrets.PGUSER, secrets.PGPASSWORD]).toEqual([`<Ref:${attached}>:username::`, `<Ref:${attached}>:password::`]);
  });

  it('Redis: the primary endpoint, TLS on, the AUTH token as a field of its secret; no user (the token is the default user\u2019s)', () => {
    const group = logicalId(cache.replicationGroup);
    expect(environment).toMatchObject({
      REDIS_HOST: { 'Fn::GetAtt': [group, 'PrimaryEndPoint.Address'] },
      REDIS_PORT: { 'Fn::GetAtt': [group, 'PrimaryEndPoint.Port'] },
      REDIS_TLS: 'true',
    });
    expect(secrets.REDIS_PASSWORD).toBe(`<Ref:${logicalId(cache.authToken)}>:password::`);
    expect(environment.REDIS_USERNAME).toBeUndefined();
  });

  it('the OpenAI key: the whole operator secret', () => {
    expect(secrets.OPENAI_API_KEY).toBe(`<Ref:${logicalId(stack.secrets.OPENAI_API_KEY!)}>`);
  });

  it('the writers\u2019 API key: the whole generated secret', () => {
    expect(secrets[API_KEY_ENV]).toBe(`<Ref:${logicalId(apiKey.secret)}>`);
  });

  it('the execution role may read those secrets', () => {
    const role = logicalId(stack.app.taskDefinition.executionRole!);
    const statements = ofType('AWS::IAM::Policy')
      .filter(([, r]) => r.Properties.Roles.some((x: Json) => x.Ref === role))
      .flatMap(([, r]) => r.Properties.PolicyDocument.Statement)
      .filter((s: Json) => [].concat(s.Action).some((a: string) => a.startsWith('secretsmanager:')));
    const readable = new Set(statements.map((s: Json) => JSON.stringify(s.Resource)));
    for (const id of [logicalId(db.secret), logicalId(cache.authToken), logicalId(stack.secrets.OPENAI_API_KEY!), logicalId(apiKey.secret)]) expect(readable).toContain(JSON.stringify({ Ref: id }));
  });
});

describe('the service\u2019s API key (its writers present it)', () => {
  const secret = resources[logicalId(apiKey.secret)];

  it('generated into Secrets Manager: 64 letters and digits, no template holding it, not the operator\u2019s to fill', () => {
    expect(Object.keys(stack.serviceDependencies.generated)).toEqual([API_KEY_ENV]);
    expect(secret.Type).toBe('AWS::SecretsManager::Secret');
    expect(secret.Properties.GenerateSecretString).toEqual({ ExcludePunctuation: true, IncludeSpace: false, PasswordLength: 64 });
    expect(secret.Properties.SecretString).toBeUndefined();
    expect(secret.Properties.GenerateSecretString.GenerateStringKey).toBeUndefined(); // the value is the key itself, not JSON
    expect(stack.serviceDependencies.operatorVariables).not.toContain(API_KEY_ENV);
  });

  it('a stack output names the secret (its ARN), never the value, so an operator can read it', () => {
    const outputs: Record<string, Json> = template.toJSON().Outputs;
    const output = outputs.ProvidersApiKeySecretArn;
    expect(output.Value).toEqual({ Ref: logicalId(apiKey.secret) });
    expect(output.Description).toContain('aws secretsmanager get-secret-value --secret-id');
    expect(output.Description).toContain(API_KEY_ENV);
  });

  it('generatedSecrets chooses the variables; none leaves the key to the operator, as a blank secret', () => {
    expect(Object.keys(dependencies({ generatedSecrets: [] }).generated)).toEqual([]);
    expect(dependencies({ generatedSecrets: [] }).operatorVariables).toEqual(['OPENAI_API_KEY', API_KEY_ENV]);
    const { stack: s } = synthProviders({ serviceDependencies: { generatedSecrets: [] } });
    expect(Object.keys(s.secrets).sort()).toEqual(['OPENAI_API_KEY', API_KEY_ENV].sort());
  });
});

describe('no placeholder secret', () => {
  const allSecrets = ofType('AWS::SecretsManager::Secret');

  it('no secret for a connection URL any more, and every generated one is a credential a resource uses', () => {
    expect(allSecrets.map(([, r]) => r.Properties.Name).filter(Boolean)).toEqual(stack.serviceDependencies.operatorVariables.map((v) => `bulwark/providers/${v}`));
    expect(JSON.stringify(allSecrets)).not.toMatch(/DATABASE_URL|REDIS_URL/);
    const used = JSON.stringify([resources[logicalId(db.instance)].Properties.MasterUserPassword, resources[logicalId(cache.replicationGroup)].Properties.AuthToken, app.Secrets]);
    for (const [id] of allSecrets.filter(([, x]) => x.Properties.GenerateSecretString)) expect({ id, used: used.includes(`"Ref":"${id}"`) }).toEqual({ id, used: true });
  });

  it('the operator\u2019s secret (the OpenAI key) is blank, and blank is "not configured" to the runtime: ai is disabled, not down', () => {
    expect(stack.serviceDependencies.operatorVariables).toEqual(['OPENAI_API_KEY']);
    const operator = resources[logicalId(stack.secrets.OPENAI_API_KEY!)];
    expect(operator.Properties).toMatchObject({ Name: 'bulwark/providers/OPENAI_API_KEY', SecretString: ' ' });
    expect(operator.Properties.GenerateSecretString).toBeUndefined();
    const runtime = createRuntime(providersService, { env: { OPENAI_API_KEY: operator.Properties.SecretString }, logDestination: new LogCapture(), nodeMetrics: false, admin: { port: 0 }, exit: () => undefined });
    runtime.openai('ai', { model: 'gpt-4o-mini' });
    expect((runtime.report().dependencies as Record<string, { state: string }>).ai).toMatchObject({ state: 'disabled' });
    expect(runtime.guard('ai').allowed).toBe(false);
  });
});

describe('defaults and overrides', () => {
  const dbOf = (s: ServiceStack) => Template.fromStack(s).toJSON().Resources[logicalId(s.serviceDependencies.databases.db!.instance)];
  const groupOf = (s: ServiceStack) => Template.fromStack(s).toJSON().Resources[logicalId(s.serviceDependencies.caches.cache!.replicationGroup)];

  it.each<FlagSet>(['defaults', 'recommended'])('the defaults are cdk-nag clean, every acknowledgement per resource with a reason (%s flags)', (flags) => {
    expect(nagFindings(synths[flags].app)).toEqual([]);
    const acks = acknowledgements(synths[flags].stack.serviceDependencies);
    expect(acks.map((a) => `${a.path} ${a.rule}`).sort()).toEqual([
      'BulwarkProviders/Dependencies/Cache/AuthToken Annotation::AwsSolutions-SMG4',
      'BulwarkProviders/Dependencies/Db/Credentials Annotation::AwsSolutions-SMG4',
      'BulwarkProviders/Dependencies/ProvidersApiKey/Secret Annotation::AwsSolutions-SMG4',
    ]);
    for (const a of acks) expect(a.reason.length).toBeGreaterThan(100);
  });

  it('deletion protection off and DESTROY: nothing kept on cdk destroy; the choice is acknowledged, still nag clean', () => {
    const { app, stack: s } = synthProviders({ serviceDependencies: { deletionProtection: false, removalPolicy: RemovalPolicy.DESTROY } });
    const instance = dbOf(s);
    expect([instance.Properties.DeletionProtection, instance.DeletionPolicy]).toEqual([false, 'Delete']);
    expect(groupOf(s).DeletionPolicy).toBe('Delete');
    expect(Template.fromStack(s).toJSON().Resources[logicalId(s.serviceDependencies.databases.db!.credentials)].DeletionPolicy).toBe('Delete');
    expect(nagFindings(app)).toEqual([]);
    expect(acknowledgements(s).map((a) => a.rule)).toContain('Annotation::AwsSolutions-RDS10');
  });

  it('RETAIN keeps the database and the cache running after cdk destroy', () => {
    const { stack: s } = synthProviders({ serviceDependencies: { removalPolicy: RemovalPolicy.RETAIN } });
    expect([dbOf(s).DeletionPolicy, groupOf(s).DeletionPolicy]).toEqual(['Retain', 'Retain']);
  });

  it('single-AZ and sizes on request; the single-AZ choice acknowledged, still nag clean', () => {
    const { app, stack: s } = synthProviders({
      serviceDependencies: {
        database: { multiAz: false, allocatedStorage: 50, maxAllocatedStorage: 200, backupRetention: Duration.days(14), port: 6432, instanceType: ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE) },
        cache: { multiAz: false, nodeType: 'cache.r7g.large', port: 7000 },
      },
    });
    expect(dbOf(s).Properties).toMatchObject({ MultiAZ: false, AllocatedStorage: '50', MaxAllocatedStorage: 200, BackupRetentionPeriod: 14, Port: '6432', DBInstanceClass: 'db.m7g.large' });
    expect(groupOf(s).Properties).toMatchObject({ MultiAZEnabled: false, AutomaticFailoverEnabled: false, NumCacheClusters: 1, CacheNodeType: 'cache.r7g.large', Port: 7000 });
    expect(nagFindings(app)).toEqual([]);
    expect(acknowledgements(s).map((a) => a.rule)).toEqual(expect.arrayContaining(['Annotation::AwsSolutions-RDS3', 'Annotation::AwsSolutions-AEC4']));
  });

  it('a declaration without split settings gets nothing provisioned: its secret variables are the operator\u2019s', () => {
    const orders = defineService({ name: 'orders-api', dependencies: { db: { kind: 'postgres', critical: true, env: 'ORDERS_DATABASE_URL' } } });
    const deps = dependencies({ declaration: orders });
    expect([Object.keys(deps.databases), Object.keys(deps.caches), deps.environment, deps.secrets, deps.operatorVariables]).toEqual([[], [], {}, {}, ['ORDERS_DATABASE_URL']]);
  });
});

/** ServiceDependencies alone in a stack with a VPC that has isolated subnets. */
function dependencies(props: Partial<ServiceDependenciesProps> & { declaration?: ServiceDeclaration } = {}): ServiceDependencies {
  const s = new Stack(new App(), 'D');
  const vpc = new ec2.Vpc(s, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [
      { name: 'Public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ],
  });
  return new ServiceDependencies(s, 'Deps', { declaration: providersService, vpc, ...props });
}

describe('invalid props fail at construction, naming the prop', () => {
  it('accepts the defaults', () => {
    expect(() => dependencies()).not.toThrow();
  });

  it.each<[string, Partial<ServiceDependenciesProps>, RegExp]>([
    ['storage below RDS\u2019s 20 GiB', { database: { allocatedStorage: 10 } }, /props\.database\.allocatedStorage is 10; use a whole number of GiB from 20 to 65536/],
    ['fractional storage', { database: { allocatedStorage: 20.5 } }, /props\.database\.allocatedStorage is 20\.5/],
    ['an autoscaling limit below the storage', { database: { allocatedStorage: 200 } }, /props\.database\.maxAllocatedStorage is 100 GiB, below database\.allocatedStorage \(200 GiB\)/],
    ['no backups', { database: { backupRetention: Duration.days(0) } }, /props\.database\.backupRetention is 0 days; use whole days from 1 to 35 \(0 would turn automated backups and point-in-time recovery off\)/],
    ['backups beyond 35 days', { database: { backupRetention: Duration.days(40) } }, /props\.database\.backupRetention is 40 days/],
    ['backups in part days', { database: { backupRetention: Duration.hours(36) } }, /props\.database\.backupRetention is 1\.5 days/],
    ['a database port RDS refuses', { database: { port: 80 } }, /props\.database\.port is 80; use a port from 1150 to 65535/],
    ['a cache port out of range', { cache: { port: 70000 } }, /props\.cache\.port is 70000; use a port from 1 to 65535/],
    ['a node type that is not ElastiCache\u2019s', { cache: { nodeType: 'm5.large' } }, /props\.cache\.nodeType is "m5\.large"; use an ElastiCache node type such as "cache\.t4g\.micro"/],
    ['an engine version that is not major.minor', { cache: { engineVersion: 'latest' } }, /props\.cache\.engineVersion is "latest"/],
    ['a removal policy these resources do not take', { removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE }, /props\.removalPolicy is retain-on-update-or-delete; use RemovalPolicy\.SNAPSHOT \(a final snapshot\), RETAIN or DESTROY/],
    ['a generated secret the service does not declare', { generatedSecrets: ['ADMIN_TOKEN'] }, /props\.generatedSecrets names ADMIN_TOKEN, which providers does not declare; list only secret env vars of providers that no dependency reads \(PROVIDERS_API_KEY\)/],
    ['a generated secret that is not secret', { generatedSecrets: ['OPENAI_BASE_URL'] }, /props\.generatedSecrets names OPENAI_BASE_URL, which is not declared secret/],
    ['a generated secret a dependency reads', { generatedSecrets: ['OPENAI_API_KEY'] }, /props\.generatedSecrets names OPENAI_API_KEY, which a dependency reads/],
  ])('%s', (_name, props, message) => {
    let err: unknown;
    try {
      dependencies(props);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidPropError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain('ServiceDependencies at D/Deps');
  });

  it('a split dependency of a kind it cannot provision', () => {
    const queue = registerKind(
      defineKind({
        name: 'test-split-queue',
        title: 'Queue',
        defaults: { breaker: { failureThreshold: 5, resetTimeoutMs: 1000, successThreshold: 1, timeoutMs: 1000 }, impact: 'LIMITED', slowThresholdMs: 0, critical: false },
        connection: { holds: 'URL', exampleVariable: 'QUEUE_URL', split: { host: { variable: 'QUEUE_HOST', required: true } } },
        provides: [],
        callMetrics: { calls: METRICS.dependencyRequestsTotal, errors: METRICS.dependencyErrorsTotal, duration: METRICS.dependencyRequestDurationSeconds, callsBy: ['operation'], errorsBy: ['operation', 'error_type'] },
      }),
    );
    const declaration = defineService({ name: 'mailer', dependencies: { events: { kind: queue.name, connection: 'split' } } });
    expect(() => dependencies({ declaration })).toThrow(/props\.declaration has dependency "events" of kind test-split-queue with split connection settings, which this example provisions only for postgres and redis/);
  });

  it('through the stack: ServiceStack passes serviceDependencies on, and the error names the prop', () => {
    expect(() => synthProviders({ serviceDependencies: { database: { port: 22 } } })).toThrow(/ServiceDependencies at BulwarkProviders\/Dependencies: props\.database\.port is 22/);
  });
});
