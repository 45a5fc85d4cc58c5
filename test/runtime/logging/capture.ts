import { Writable } from 'node:stream';

/** A destination stream that keeps every log line in memory, for tests. */
export class LogCapture extends Writable {
  readonly raw: string[] = [];

  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.raw.push(chunk.toString());
    done();
  }

  /** Structured lines, parsed. */
  get entries(): Array<Record<string, unknown>> {
    return this.raw.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  get text(): string {
    return this.raw.join('');
  }
}
