import { describe, expect, it } from 'vitest';
import { InFlight } from '../../gateway/smpp/in-flight.js';
import type { RawPdu } from '../../gateway/smpp/smpp-lib.js';
import { SmppError } from '../../gateway/smpp/status.js';

const response = (sequence: number): RawPdu => ({
  command: 'submit_sm_resp',
  command_id: 0x80000004,
  command_status: 0,
  sequence_number: sequence,
  command_length: 16,
});

/** `window.watch` as a promise of the response. */
const track = (window: InFlight, sequence: number, timeoutMs: number, slot: boolean): Promise<RawPdu> =>
  new Promise((response, failed) => window.watch(sequence, timeoutMs, slot, { response, failed }));

describe('requests in flight', () => {
  it('a request left unanswered past its timeout fails RESPONSE_TIMEOUT (retryable) and frees its slot', async () => {
    const window = new InFlight(2);
    expect(window.tryAcquire()).toBe(true);
    const error = await track(window, 1, 30, true).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SmppError);
    expect(error).toMatchObject({ code: 'RESPONSE_TIMEOUT', retryable: true });
    expect(window.inUse).toBe(0);
    expect(window.pendingCount).toBe(0);
  });

  it('a request answered in time resolves, and one left unanswered beside it times out; its late answer finds nobody', async () => {
    const window = new InFlight(2);
    window.tryAcquire();
    const answered = track(window, 7, 30, true);
    const late = track(window, 8, 30, false).catch((e: unknown) => e);
    expect(window.settle(response(7))).toBe(true);
    await expect(answered).resolves.toMatchObject({ sequence_number: 7 });
    expect(await late).toMatchObject({ code: 'RESPONSE_TIMEOUT' });
    // Its answer, after the timeout, finds nobody waiting.
    expect(window.settle(response(8))).toBe(false);
    expect(window.inUse).toBe(0);
  });

  it('a slot freed by a response passes to the first waiter, in the order they asked', () => {
    const window = new InFlight(1);
    window.tryAcquire();
    const granted: string[] = [];
    const waiter = (name: string) => ({ granted: () => granted.push(name), failed: () => granted.push('!') });
    window.whenFree(waiter('a'));
    window.whenFree(waiter('b'));
    window.watch(1, 60_000, true, { response: () => undefined, failed: () => undefined });
    expect(window.settle(response(1))).toBe(true);
    expect(granted).toEqual(['a']);
    window.release();
    expect(granted).toEqual(['a', 'b']);
    expect(window.inUse).toBe(1);
    window.release();
    expect(window.inUse).toBe(0);
    window.failAll(SmppError.local('CONNECTION_LOST', 'socket closed'));
  });

  it('thousands of waiters are granted their slots in the order they asked', () => {
    const window = new InFlight(1);
    window.tryAcquire();
    const granted: number[] = [];
    const n = 5000;
    for (let i = 0; i < n; i++) window.whenFree({ granted: () => granted.push(i), failed: () => undefined });
    for (let i = 0; i < n / 2; i++) window.release();
    // More asking meanwhile, behind the first.
    for (let i = n; i < n + 10; i++)
      window.whenFree({ granted: () => granted.push(i), failed: () => undefined });
    for (let i = 0; i < n / 2 + 10; i++) window.release();
    expect(granted).toEqual(Array.from({ length: n + 10 }, (_, i) => i));
    expect(window.inUse).toBe(1);
    window.release();
    expect(window.inUse).toBe(0);
  });

  it('a dropped link fails every pending request and window waiter at once', async () => {
    const window = new InFlight(1);
    window.tryAcquire();
    const pending = track(window, 1, 60_000, true).catch((e: unknown) => e);
    expect(window.tryAcquire()).toBe(false);
    const waiting = new Promise<void>((granted, failed) => window.whenFree({ granted, failed })).catch(
      (e: unknown) => e,
    );
    window.failAll(SmppError.local('CONNECTION_LOST', 'socket closed'));
    expect(await pending).toMatchObject({ code: 'CONNECTION_LOST' });
    expect(await waiting).toMatchObject({ code: 'CONNECTION_LOST' });
  });
});
