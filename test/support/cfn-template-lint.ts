/**
 * A CloudFormation template linter checked against the CloudFormation resource specification that
 * aws-cdk-lib is generated from (`@aws-cdk/aws-service-spec`): a stand-in for cfn-lint's error
 * rules where cfn-lint cannot be installed. One job: `lintTemplate(template)` returns the findings,
 * each with the cfn-lint rule id it corresponds to. What it covers and what it does not:
 * test/constructs/aws/cfn-lint.test.ts.
 *
 * Scalars are checked as cfn-lint does by default (not `--strict-types`): CloudFormation turns
 * numbers and booleans into strings, numeric strings into numbers and "true"/"false" into
 * booleans, so those are accepted; a list or an object where a scalar goes is not, nor a number
 * where a boolean goes.
 */
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { Property, PropertyType, Resource, SpecDatabase } from '@aws-cdk/service-spec-types';

export interface LintFinding {
  /** The cfn-lint rule this finding corresponds to, e.g. `E3002`. */
  readonly rule: string;
  /** Where in the template: `Resources/Logical/Properties/Name/0/Key`. */
  readonly path: string;
  readonly message: string;
}

type Json = unknown;
type Obj = Record<string, Json>;
/** What an intrinsic function returns, as far as the template tells. */
type Returns = 'string' | 'list' | 'any';

const TOP_LEVEL = new Set(['AWSTemplateFormatVersion', 'Description', 'Metadata', 'Parameters', 'Mappings', 'Conditions', 'Transform', 'Resources', 'Outputs', 'Rules']);
const RESOURCE_KEYS = new Set(['Type', 'Properties', 'DependsOn', 'Condition', 'Metadata', 'DeletionPolicy', 'UpdateReplacePolicy', 'CreationPolicy', 'UpdatePolicy']);
const OUTPUT_KEYS = new Set(['Value', 'Description', 'Export', 'Condition']);
const DELETION_POLICIES = new Set(['Delete', 'Retain', 'RetainExceptOnCreate', 'Snapshot']);
const UPDATE_REPLACE_POLICIES = new Set(['Delete', 'Retain', 'Snapshot']);
const PSEUDO_PARAMETERS = new Set(['AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition', 'AWS::Region', 'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix']);
const PARAMETER_TYPE =
  /^(String|Number|List<Number>|CommaDelimitedList|AWS::SSM::Parameter::Name|AWS::SSM::Parameter::Value<.+>|AWS::[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+|List<AWS::[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+>)$/;
/** The intrinsic functions accepted where a property value goes, and what each returns. */
const VALUE_FUNCTIONS: Record<string, Returns> = {
  Ref: 'any',
  'Fn::GetAtt': 'any',
  'Fn::Join': 'string',
  'Fn::Sub': 'string',
  'Fn::If': 'any',
  'Fn::Select': 'any',
  'Fn::ImportValue': 'string',
  'Fn::GetAZs': 'list',
  'Fn::Split': 'list',
  'Fn::FindInMap': 'any',
  'Fn::Base64': 'string',
  'Fn::Cidr': 'list',
};
/** `AWS::CDK::Metadata` is CDK's own analytics resource: CloudFormation accepts it, the registry has no schema for it. */
const CDK_METADATA = 'AWS::CDK::Metadata';
const CUSTOM_RESOURCE = 'AWS::CloudFormation::CustomResource';

let spec: { db: SpecDatabase; byType: Map<string, Resource> } | undefined;

/** The specification, loaded once per process (about a second: a gzipped JSON database). */
function loadSpec(): { db: SpecDatabase; byType: Map<string, Resource> } {
  if (!spec) {
    const db = loadAwsServiceSpecSync();
    spec = { db, byType: new Map(db.all('resource').map((r) => [r.cloudFormationType, r])) };
  }
  return spec;
}

/** The specification's resource type, or undefined when it has none of that name. */
export function specResource(type: string): Resource | undefined {
  return loadSpec().byType.get(type);
}

function isObj(v: Json): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{ Ref: … }` or `{ "Fn::…": … }`: the one key of an intrinsic function call. */
function intrinsicName(v: Json): string | undefined {
  if (!isObj(v)) return undefined;
  const keys = Object.keys(v);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::')) ? keys[0] : undefined;
}

function isCustom(type: string): boolean {
  return type.startsWith('Custom::') || type === CUSTOM_RESOURCE;
}

function typeName(t: PropertyType, db: SpecDatabase): string {
  switch (t.type) {
    case 'array':
      return `list of ${typeName(t.element, db)}`;
    case 'map':
      return `map of ${typeName(t.element, db)}`;
    case 'union':
      return t.types.map((u) => typeName(u, db)).join(' | ');
    case 'ref':
      return db.get('typeDefinition', t.reference).name;
    default:
      return t.type;
  }
}

function literalKind(v: Json): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (isObj(v)) return 'an object';
  return `the ${typeof v} ${JSON.stringify(v)}`;
}

class Linter {
  readonly findings: LintFinding[] = [];
  private readonly db: SpecDatabase;
  private readonly resources: Obj;
  private readonly parameters: Obj;
  private readonly conditions: Obj;
  private readonly mappings: Obj;

  constructor(private readonly template: Obj) {
    this.db = loadSpec().db;
    this.resources = isObj(template.Resources) ? template.Resources : {};
    this.parameters = isObj(template.Parameters) ? template.Parameters : {};
    this.conditions = isObj(template.Conditions) ? template.Conditions : {};
    this.mappings = isObj(template.Mappings) ? template.Mappings : {};
  }

  private report(rule: string, path: string, message: string): void {
    this.findings.push({ rule, path, message });
  }

  run(): LintFinding[] {
    for (const key of Object.keys(this.template)) if (!TOP_LEVEL.has(key)) this.report('E1001', key, `unknown top-level section ${key}`);
    if (!isObj(this.template.Resources) || Object.keys(this.template.Resources).length === 0) this.report('E1001', 'Resources', 'a template needs a Resources section with at least one resource');
    for (const [name, p] of Object.entries(this.parameters)) {
      if (!isObj(p) || typeof p.Type !== 'string') this.report('E2001', `Parameters/${name}`, 'a parameter needs a Type');
      else if (!PARAMETER_TYPE.test(p.Type)) this.report('E2002', `Parameters/${name}/Type`, `${p.Type} is not a parameter type`);
    }
    for (const [id, r] of Object.entries(this.resources)) this.resource(id, r);
    for (const [name, o] of Object.entries(isObj(this.template.Outputs) ? this.template.Outputs : {})) this.output(name, o);
    // Every reference, wherever it is (policies and other JSON-typed values included).
    for (const section of ['Resources', 'Outputs', 'Conditions', 'Rules'] as const) {
      if (this.template[section] !== undefined) this.references(this.template[section], section, section === 'Conditions');
    }
    return this.findings;
  }

  private resource(id: string, r: Json): void {
    const path = `Resources/${id}`;
    if (!isObj(r)) return this.report('E3001', path, 'a resource must be an object');
    for (const key of Object.keys(r)) if (!RESOURCE_KEYS.has(key)) this.report('E3001', `${path}/${key}`, `${key} is not a resource attribute`);
    if (typeof r.Type !== 'string') return this.report('E3001', path, 'a resource needs a Type');
    if (r.Condition !== undefined) this.conditionName(r.Condition, `${path}/Condition`);
    if (r.DependsOn !== undefined) {
      const deps = Array.isArray(r.DependsOn) ? r.DependsOn : [r.DependsOn];
      deps.forEach((d, i) => {
        const at = Array.isArray(r.DependsOn) ? `${path}/DependsOn/${i}` : `${path}/DependsOn`;
        if (typeof d !== 'string' || !(d in this.resources)) this.report('E3005', at, `DependsOn names ${JSON.stringify(d)}, which is not a resource of this template`);
        else if (d === id) this.report('E3005', at, 'a resource cannot depend on itself');
      });
    }
    if (r.DeletionPolicy !== undefined && !(typeof r.DeletionPolicy === 'string' && DELETION_POLICIES.has(r.DeletionPolicy)) && !intrinsicName(r.DeletionPolicy)) {
      this.report('E3035', `${path}/DeletionPolicy`, `${JSON.stringify(r.DeletionPolicy)} is not one of ${[...DELETION_POLICIES].join(', ')}`);
    }
    if (r.UpdateReplacePolicy !== undefined && !(typeof r.UpdateReplacePolicy === 'string' && UPDATE_REPLACE_POLICIES.has(r.UpdateReplacePolicy)) && !intrinsicName(r.UpdateReplacePolicy)) {
      this.report('E3036', `${path}/UpdateReplacePolicy`, `${JSON.stringify(r.UpdateReplacePolicy)} is not one of ${[...UPDATE_REPLACE_POLICIES].join(', ')}`);
    }
    const props = r.Properties;
    if (props !== undefined && !isObj(props)) return this.report('E3012', `${path}/Properties`, 'Properties must be an object');
    const given = props ?? {};
    if (r.Type === CDK_METADATA) return this.properties(given, { Analytics: { type: { type: 'string' } } }, `${path}/Properties`);
    if (isCustom(r.Type)) {
      // A custom resource's properties are its provider's business; CloudFormation requires a ServiceToken.
      const custom = specResource(CUSTOM_RESOURCE)!;
      return this.properties(given, custom.properties, `${path}/Properties`, { open: true });
    }
    const type = specResource(r.Type);
    if (!type) return this.report('E3006', `${path}/Type`, `${r.Type} is not a resource type of the CloudFormation specification`);
    this.properties(given, type.properties, `${path}/Properties`);
  }

  /** An object checked against a resource's or a property type's properties (E3002, E3003, E3012). */
  private properties(value: Obj, defined: Record<string, Property>, path: string, opts: { open?: boolean } = {}): void {
    for (const [name, v] of Object.entries(value)) {
      const prop = defined[name];
      if (!prop) {
        if (!opts.open) this.report('E3002', `${path}/${name}`, `${name} is not a property here (${Object.keys(defined).sort().join(', ') || 'none'})`);
        continue;
      }
      this.value(v, prop.type, `${path}/${name}`);
    }
    for (const [name, prop] of Object.entries(defined)) {
      if (prop.required && !(name in value)) this.report('E3003', `${path}/${name}`, `${name} is required`);
    }
  }

  /** Does `v` fit `t`? Findings when not; unions take the member that fits. */
  private value(v: Json, t: PropertyType, path: string): void {
    const fn = intrinsicName(v);
    if (fn) return this.intrinsicValue(fn, (v as Obj)[fn], t, path);
    switch (t.type) {
      case 'union': {
        const attempts = t.types.map((member) => this.attempt(() => this.value(v, member, path)));
        if (attempts.some((a) => a.length === 0)) return;
        // The members of the value's own shape (object, list, scalar) say more than "none of them".
        const shaped = t.types.map((m, i) => ({ m, f: attempts[i]! })).filter(({ m }) => this.shapeFits(v, m));
        if (shaped.length === 1) return void this.findings.push(...shaped[0]!.f);
        return this.report('E3012', path, `${literalKind(v)} is none of ${typeName(t, this.db)}`);
      }
      case 'string':
      case 'date-time':
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return this.allowed(v, t.type === 'string' ? t.allowedValues : undefined, path);
        return this.mismatch(v, t, path);
      case 'integer':
        if ((typeof v === 'number' && Number.isInteger(v)) || (typeof v === 'string' && /^-?\d+$/.test(v))) return this.allowed(Number(v), t.allowedValues, path);
        return this.mismatch(v, t, path);
      case 'number':
        if (typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)))) return;
        return this.mismatch(v, t, path);
      case 'boolean':
        if (typeof v === 'boolean' || (typeof v === 'string' && /^(true|false)$/i.test(v))) return;
        return this.mismatch(v, t, path);
      case 'null':
        if (v === null) return;
        return this.mismatch(v, t, path);
      case 'json':
        if (isObj(v) || Array.isArray(v)) return;
        return this.mismatch(v, t, path);
      case 'tag':
        if (!isObj(v)) return this.mismatch(v, t, path);
        return this.properties(v, { Key: { type: { type: 'string' }, required: true }, Value: { type: { type: 'string' }, required: true } }, path);
      case 'array':
        if (!Array.isArray(v)) return this.mismatch(v, t, path);
        return v.forEach((e, i) => this.value(e, t.element, `${path}/${i}`));
      case 'map':
        if (!isObj(v)) return this.mismatch(v, t, path);
        return Object.entries(v).forEach(([k, e]) => this.value(e, t.element, `${path}/${k}`));
      case 'ref':
        if (!isObj(v)) return this.mismatch(v, t, path);
        return this.properties(v, this.db.get('typeDefinition', t.reference).properties, path);
    }
  }

  /** An intrinsic function where a value of type `t` goes: its result must be able to be one. */
  private intrinsicValue(fn: string, arg: Json, t: PropertyType, path: string, rule = 'E3012'): void {
    if (fn === 'Ref' && arg === 'AWS::NoValue') return; // removes the property
    if (fn === 'Fn::If') {
      // Each branch goes where the call goes (shape errors are reported by references()).
      if (Array.isArray(arg) && arg.length === 3) {
        [arg[1], arg[2]].forEach((b, i) => (rule === 'E3012' ? this.value(b, t, `${path}/Fn::If/${i + 1}`) : this.outputString(b, `${path}/Fn::If/${i + 1}`)));
      }
      return;
    }
    const returns = VALUE_FUNCTIONS[fn];
    if (!returns) return this.report(rule, `${path}/${fn}`, `${fn} is not a function that can give a value here`);
    const result = returns === 'any' ? this.resultOf(fn, arg) : returns;
    if (!this.accepts(t, result)) this.report(rule, `${path}/${fn}`, `${fn} gives ${result === 'list' ? 'a list' : 'a string'}, where ${typeName(t, this.db)} goes`);
  }

  /** What a Ref or a GetAtt gives, from the parameter's type or the attribute's type in the spec. */
  private resultOf(fn: string, arg: Json): Returns {
    if (fn === 'Ref' && typeof arg === 'string') {
      if (arg === 'AWS::NotificationARNs') return 'list';
      const p = this.parameters[arg];
      if (isObj(p) && typeof p.Type === 'string') return /^(List<|CommaDelimitedList|AWS::SSM::Parameter::Value<(List<|CommaDelimitedList))/.test(p.Type) ? 'list' : 'string';
      return arg in this.resources || PSEUDO_PARAMETERS.has(arg) ? 'string' : 'any';
    }
    if (fn === 'Fn::GetAtt') {
      const target = this.getAttTarget(arg);
      const r = target ? this.resources[target.resource] : undefined;
      const type = isObj(r) && typeof r.Type === 'string' ? specResource(r.Type) : undefined;
      const attr = type && typeof target?.attribute === 'string' ? type.attributes[target.attribute] : undefined;
      if (attr) return attr.type.type === 'array' ? 'list' : attr.type.type === 'json' || attr.type.type === 'ref' || attr.type.type === 'union' ? 'any' : 'string';
    }
    return 'any';
  }

  private accepts(t: PropertyType, result: Returns): boolean {
    if (result === 'any') return true;
    switch (t.type) {
      case 'union':
        return t.types.some((m) => this.accepts(m, result));
      case 'array':
        return result === 'list';
      case 'map':
      case 'ref':
      case 'tag':
      case 'null':
        return false;
      case 'json':
        return result === 'string'; // CloudFormation parses a JSON document given as a string
      default:
        return result === 'string';
    }
  }

  private shapeFits(v: Json, t: PropertyType): boolean {
    if (Array.isArray(v)) return t.type === 'array' || t.type === 'json';
    if (isObj(v)) return ['map', 'ref', 'tag', 'json'].includes(t.type);
    return !['array', 'map', 'ref', 'tag', 'json'].includes(t.type);
  }

  private attempt(check: () => void): LintFinding[] {
    const before = this.findings.length;
    check();
    return this.findings.splice(before);
  }

  private mismatch(v: Json, t: PropertyType, path: string): void {
    this.report('E3012', path, `${literalKind(v)} is not a ${typeName(t, this.db)}`);
  }

  private allowed(v: string | number | boolean, values: readonly (string | number)[] | undefined, path: string): void {
    if (values && values.length > 0 && !values.includes(v as string | number)) this.report('E3030', path, `${JSON.stringify(v)} is not one of ${values.map((x) => JSON.stringify(x)).join(', ')}`);
  }

  private output(name: string, o: Json): void {
    const path = `Outputs/${name}`;
    if (!isObj(o)) return this.report('E6001', path, 'an output must be an object');
    for (const key of Object.keys(o)) if (!OUTPUT_KEYS.has(key)) this.report('E6001', `${path}/${key}`, `${key} is not an output attribute`);
    if (!('Value' in o)) this.report('E6002', `${path}/Value`, 'an output needs a Value');
    else this.outputString(o.Value, `${path}/Value`);
    if (o.Description !== undefined && typeof o.Description !== 'string') this.report('E6001', `${path}/Description`, 'an output description must be a string');
    if (o.Condition !== undefined) this.conditionName(o.Condition, `${path}/Condition`);
    if (o.Export !== undefined) {
      if (!isObj(o.Export) || !('Name' in o.Export)) this.report('E6001', `${path}/Export`, 'an export needs a Name');
      else this.outputString(o.Export.Name, `${path}/Export/Name`);
    }
  }

  /** An output's value is a string: a literal or a function that gives one. */
  private outputString(v: Json, path: string): void {
    const fn = intrinsicName(v);
    if (fn) return this.intrinsicValue(fn, (v as Obj)[fn], { type: 'string' }, path, 'E6003');
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return;
    this.report('E6003', path, `an output value must be a string, not ${literalKind(v)}`);
  }

  private conditionName(name: Json, path: string): void {
    if (typeof name !== 'string' || !(name in this.conditions)) this.report('E8002', path, `condition ${JSON.stringify(name)} is not defined in Conditions`);
  }

  private getAttTarget(arg: Json): { resource: string; attribute: Json } | undefined {
    if (typeof arg === 'string') {
      const dot = arg.indexOf('.');
      return dot > 0 ? { resource: arg.slice(0, dot), attribute: arg.slice(dot + 1) } : undefined;
    }
    if (Array.isArray(arg) && arg.length === 2 && typeof arg[0] === 'string') return { resource: arg[0], attribute: arg[1] };
    return undefined;
  }

  /** Every Ref, GetAtt, Sub, If, FindInMap (and the other functions' shapes) under `node`. */
  private references(node: Json, path: string, inConditions = false): void {
    if (Array.isArray(node)) return node.forEach((e, i) => this.references(e, `${path}/${i}`, inConditions));
    if (!isObj(node)) return;
    const fn = intrinsicName(node) ?? (inConditions && Object.keys(node).length === 1 && 'Condition' in node ? 'Condition' : undefined);
    if (fn) this.intrinsic(fn, node[fn], `${path}/${fn}`);
    for (const [k, v] of Object.entries(node)) this.references(v, `${path}/${k}`, inConditions);
  }

  private intrinsic(fn: string, arg: Json, path: string): void {
    const list = (n: number) => Array.isArray(arg) && arg.length === n;
    switch (fn) {
      case 'Ref':
        if (typeof arg !== 'string') return this.report('E1012', path, 'Ref takes the name of a parameter, a resource or a pseudo parameter');
        if (!(arg in this.resources) && !(arg in this.parameters) && !PSEUDO_PARAMETERS.has(arg)) this.report('E1012', path, `Ref ${arg}: no parameter, resource or pseudo parameter of that name`);
        return;
      case 'Fn::GetAtt':
        return this.getAtt(arg, path);
      case 'Fn::Sub':
        return this.sub(arg, path);
      case 'Fn::If':
        if (!list(3)) return this.report('E1028', path, 'Fn::If takes [condition, value if true, value if false]');
        return this.conditionName((arg as Json[])[0], `${path}/0`);
      case 'Condition':
        return this.conditionName(arg, path);
      case 'Fn::FindInMap': {
        if (!list(3) && !list(4)) return this.report('E1011', path, 'Fn::FindInMap takes [map, top-level key, second-level key]');
        const map = (arg as Json[])[0];
        if (typeof map === 'string' && !(map in this.mappings)) this.report('E1011', `${path}/0`, `mapping ${map} is not defined in Mappings`);
        return;
      }
      case 'Fn::Join':
        if (!list(2) || typeof (arg as Json[])[0] !== 'string' || !(Array.isArray((arg as Json[])[1]) || intrinsicName((arg as Json[])[1]))) {
          this.report('E1022', path, 'Fn::Join takes [delimiter, list]');
        }
        return;
      case 'Fn::Select':
        if (!list(2)) this.report('E1017', path, 'Fn::Select takes [index, list]');
        return;
      case 'Fn::Split':
        if (!list(2) || typeof (arg as Json[])[0] !== 'string') this.report('E1018', path, 'Fn::Split takes [delimiter, string]');
        return;
      case 'Fn::GetAZs':
        if (typeof arg !== 'string' && !intrinsicName(arg)) this.report('E1015', path, 'Fn::GetAZs takes a region (or "")');
        return;
      case 'Fn::Base64':
        if (typeof arg !== 'string' && !intrinsicName(arg)) this.report('E1021', path, 'Fn::Base64 takes a string');
        return;
      case 'Fn::Cidr':
        if (!list(3)) this.report('E1024', path, 'Fn::Cidr takes [ip block, count, cidr bits]');
        return;
      case 'Fn::ImportValue':
        if (typeof arg !== 'string' && !intrinsicName(arg)) this.report('E1016', path, 'Fn::ImportValue takes an export name');
        return;
      default:
        return; // condition and rule functions (Fn::Equals, Fn::Not, Fn::Contains, …): their arguments are walked
    }
  }

  private getAtt(arg: Json, path: string): void {
    const target = this.getAttTarget(arg);
    if (!target) return this.report('E1010', path, 'Fn::GetAtt takes [resource, attribute] or "resource.attribute"');
    const r = this.resources[target.resource];
    if (!isObj(r)) return this.report('E1010', path, `Fn::GetAtt ${target.resource}: no resource of that name`);
    if (typeof target.attribute !== 'string') return; // computed with Ref: known only at deploy time
    const type = typeof r.Type === 'string' ? r.Type : '';
    if (isCustom(type) || type === CDK_METADATA) return; // a custom resource's provider decides its attributes
    // A nested stack's (or a SAM application's) outputs are its attributes.
    if ((type === 'AWS::CloudFormation::Stack' || type === 'AWS::Serverless::Application') && target.attribute.startsWith('Outputs.')) return;
    const spec = specResource(type);
    if (spec && !(target.attribute in spec.attributes)) {
      this.report('E1010', path, `${type} has no attribute ${target.attribute} (${Object.keys(spec.attributes).sort().join(', ') || 'none'})`);
    }
  }

  private sub(arg: Json, path: string): void {
    const [text, vars] = typeof arg === 'string' ? [arg, {}] : Array.isArray(arg) && arg.length === 2 ? [arg[0], arg[1]] : [undefined, undefined];
    if (typeof text !== 'string' || !isObj(vars)) return this.report('E1019', path, 'Fn::Sub takes a string or [string, { name: value }]');
    for (const m of text.matchAll(/\$\{([^}]*)\}/g)) {
      const name = m[1]!;
      if (name.startsWith('!')) continue; // ${!Literal}
      if (name in vars) continue;
      const dot = name.indexOf('.');
      if (dot > 0) this.getAtt(name, path);
      else if (!(name in this.resources) && !(name in this.parameters) && !PSEUDO_PARAMETERS.has(name)) this.report('E1019', path, `Fn::Sub names \${${name}}: no parameter, resource, pseudo parameter or variable of that name`);
    }
  }
}

/** The findings of one template (a synthesized CloudFormation template as JSON), sorted by path. */
export function lintTemplate(template: unknown): LintFinding[] {
  if (!isObj(template)) return [{ rule: 'E1001', path: '', message: 'a template must be an object' }];
  return new Linter(template).run().sort((a, b) => (a.path === b.path ? a.rule.localeCompare(b.rule) : a.path < b.path ? -1 : 1));
}

/** One line per finding, for messages: `E3002 Resources/X/Properties/Y: …`. */
export function formatFindings(findings: readonly LintFinding[]): string {
  return findings.map((f) => `${f.rule} ${f.path}: ${f.message}`).join('\n');
}
