import type { IConstruct } from 'constructs';

/**
 * A construct prop that cannot work, reported while the app is constructed (so `cdk synth`
 * fails before anything is deployed). The message names the construct, the prop and the fix.
 */
export class InvalidPropError extends Error {
  constructor(
    readonly construct: string,
    readonly prop: string,
    problem: string,
  ) {
    super(`${construct}: props.${prop} ${problem}`);
    this.name = 'InvalidPropError';
  }
}

/** Throws InvalidPropError naming `<ConstructClass> <path>` and the prop. */
export function invalidProp(scope: IConstruct, prop: string, problem: string): never {
  throw new InvalidPropError(`${scope.constructor.name} at ${scope.node.path}`, prop, problem);
}
