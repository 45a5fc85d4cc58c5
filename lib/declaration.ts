/**
 * The service declaration model. It lives in the runtime package (a service image installs
 * the runtime alone and validates its own declaration); the infrastructure side re-exports it.
 */
export {
  defineService,
  DeclarationError,
  DEPENDENCY_KINDS,
  type ServiceDeclaration,
  type ServiceInput,
  type DependencyDeclaration,
  type DependencyInput,
  type DependencyKind,
  type EnvVarDeclaration,
  type Objectives,
} from '@bulwark/runtime';
