import { Writable } from 'node:stream';

/** Collects the log lines (pino JSON) an app under test writes: pass it as the app's logStream. */
export class LogCapture extends Writable {
  lines: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.lines.push(chunk.toString('utf8'));
    done();
  }
  get text(): string {
    return this.lines.join('');
  }
  entries(): Array<Record<string, unknown>> {
    return this.lines.flatMap((l) => l.split('\n')).filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
  }
}
