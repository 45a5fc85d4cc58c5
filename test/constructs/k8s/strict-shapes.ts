/**
 * Unknown fields, found mechanically: the API server silently drops a field it does not know (a
 * container's `portz`, a ServiceMonitor's `intervall`), and the schemas kubernetes-models compiles
 * accept anything extra. Here every object is walked against the TypeScript declarations the same
 * packages ship (generated from the Kubernetes OpenAPI spec and the Prometheus Operator CRDs): a key
 * that is no property of its declared type — and not under a map type — is an unknown field.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/** apiVersion/kind → the module and interface that declare it. */
const DECLARATIONS: Readonly<Record<string, { readonly module: string; readonly type: string }>> = {
  'apps/v1/Deployment': { module: 'kubernetes-models/apps/v1/Deployment', type: 'IDeployment' },
  'v1/ConfigMap': { module: 'kubernetes-models/v1/ConfigMap', type: 'IConfigMap' },
  'v1/Secret': { module: 'kubernetes-models/v1/Secret', type: 'ISecret' },
  'v1/Service': { module: 'kubernetes-models/v1/Service', type: 'IService' },
  'policy/v1/PodDisruptionBudget': { module: 'kubernetes-models/policy/v1/PodDisruptionBudget', type: 'IPodDisruptionBudget' },
  'networking.k8s.io/v1/NetworkPolicy': { module: 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy', type: 'INetworkPolicy' },
  'monitoring.coreos.com/v1/ServiceMonitor': { module: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor', type: 'IServiceMonitor' },
  'monitoring.coreos.com/v1/PrometheusRule': { module: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule', type: 'IPrometheusRule' },
};

export interface ShapeChecker {
  /** The paths of fields the object's declared type does not have (`spec.template.spec.containers[0].portz`). */
  unknownFields(object: { apiVersion?: string; kind?: string }): string[];
}

/** Compiles the declarations once (a few seconds); `root` is the checkout whose node_modules hold the packages. */
export function createShapeChecker(root: string): ShapeChecker {
  mkdirSync(join(root, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(root, '.tmp', 'k8s-shapes-'));
  const keys = Object.keys(DECLARATIONS);
  const file = join(dir, 'shapes.mts');
  writeFileSync(
    file,
    [
      ...keys.map((k, i) => `import type { ${DECLARATIONS[k]!.type} as T${i} } from '${DECLARATIONS[k]!.module}';`),
      `export interface Shapes {`,
      ...keys.map((k, i) => `  ${JSON.stringify(k)}: T${i};`),
      `}`,
    ].join('\n'),
  );
  let checker: ts.TypeChecker;
  let shapes: ts.Type;
  try {
    const program = ts.createProgram([file], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, skipLibCheck: true, noEmit: true });
    checker = program.getTypeChecker();
    const source = program.getSourceFile(file)!;
    const problems = ts.getPreEmitDiagnostics(program, source);
    if (problems.length) throw new Error(`the Kubernetes declarations did not load: ${ts.flattenDiagnosticMessageText(problems[0]!.messageText, '\n')}`);
    const shapesSymbol = checker.getExportsOfModule(checker.getSymbolAtLocation(source)!).find((s) => s.name === 'Shapes')!;
    shapes = checker.getDeclaredTypeOfSymbol(shapesSymbol);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const objectMembers = (type: ts.Type): ts.Type[] =>
    (type.isUnion() ? type.types : [type]).filter((t) => (t.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection)) !== 0);

  function walk(value: unknown, type: ts.Type, path: string, out: string[]): void {
    if (value === null || typeof value !== 'object') return;
    const members = objectMembers(checker.getNonNullableType(type));
    if (members.length === 0) return;
    if (Array.isArray(value)) {
      const arrays = members.filter((t) => checker.isArrayType(t));
      if (arrays.length === 0) return;
      const element = checker.getTypeArguments(arrays[0] as ts.TypeReference)[0]!;
      value.forEach((v, i) => walk(v, element, `${path}[${i}]`, out));
      return;
    }
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      let fieldType: ts.Type | undefined;
      for (const member of members) {
        const prop = checker.getPropertyOfType(member, key);
        if (prop) {
          fieldType = checker.getTypeOfSymbol(prop);
          break;
        }
        const index = checker.getIndexInfosOfType(member).find((i) => i.keyType.flags & ts.TypeFlags.String);
        if (index) {
          fieldType = index.type;
          break;
        }
      }
      const at = path ? `${path}.${key}` : key;
      if (!fieldType) out.push(at);
      else walk(v, fieldType, at, out);
    }
  }

  return {
    unknownFields(object) {
      const key = `${object.apiVersion}/${object.kind}`;
      const prop = checker.getPropertyOfType(shapes, key);
      if (!prop) throw new Error(`no declaration for ${key}; add it to DECLARATIONS`);
      const out: string[] = [];
      walk(object, checker.getTypeOfSymbol(prop), '', out);
      return out;
    },
  };
}
