import { serializeError, withoutValues } from './logging';

/** A database error as TypeORM throws it: the bound parameters ride along. */
function queryFailure(message: string, parameters: unknown[]): Error {
  const error = new Error(message);
  error.stack = `QueryFailedError: ${message}\n    at processTicksAndRejections (node:internal/process/task_queues:95:5)\n    at async Probe.fail (probe.ts:9:3)`;
  Object.assign(error, { parameters, query: 'SELECT $1::int' });
  return error;
}

describe('log redaction', () => {
  it('masks a parameter quoted in the message, and only as a whole value', () => {
    const error = queryFailure('invalid input syntax for type integer: "9"', [9, 'ada@example.com']);
    const fields = serializeError(error) as { message: string; stack: string; parameters?: unknown };
    expect(fields.message).toBe('invalid input syntax for type integer: "[parameter]"');
    expect(fields.parameters).toBeUndefined();
    // the frames stay as they were: task_queues:95:5 and probe.ts:9:3 are code, not data
    expect(fields.stack).toContain('node:internal/process/task_queues:95:5');
    expect(fields.stack).toContain('probe.ts:9:3');
    expect(fields.stack.split('\n')[0]).toBe('QueryFailedError: invalid input syntax for type integer: "[parameter]"');
  });

  it('replaces values, not substrings of unrelated text', () => {
    expect(withoutValues('task_queues:95 failed at v9 with "9"', ['9'])).toBe('task_queues:95 failed at v9 with "[parameter]"');
    expect(withoutValues('Key (email)=(ada@example.com) exists; ada', ['ada@example.com', 'ada'])).toBe('Key (email)=([parameter]) exists; [parameter]');
    expect(withoutValues('code 123456 and 1234567', ['123456'])).toBe('code [parameter] and 1234567');
    expect(withoutValues('a (b) c', ['(b)'])).toBe('a [parameter] c');
  });
});
