/** A mistake in how the CLI was called or in what it was pointed at: exit 2, one message, no stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
