import { timeOrderedUuid } from './time-ordered-uuid';

describe('timeOrderedUuid', () => {
  afterEach(() => jest.restoreAllMocks());

  it('is a version 7 UUID whose first 48 bits are the time in milliseconds', () => {
    const at = Date.UTC(2026, 11, 6, 9, 30);
    jest.spyOn(Date, 'now').mockReturnValue(at);
    const id = timeOrderedUuid();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
  });

  it('sorts in the order made: within a millisecond and when the clock steps back', () => {
    const at = Date.UTC(2026, 11, 7, 10);
    const now = jest.spyOn(Date, 'now').mockReturnValue(at);
    const made = Array.from({ length: 5000 }, () => timeOrderedUuid());
    now.mockReturnValue(at - 1000);
    made.push(timeOrderedUuid());
    now.mockReturnValue(at + 1000);
    made.push(timeOrderedUuid());
    expect([...made].sort()).toEqual(made);
    expect(new Set(made).size).toBe(made.length);
  });
});
