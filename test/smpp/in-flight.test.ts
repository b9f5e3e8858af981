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

describe('requests in flight', () => {
  it('a request left unanswered past its timeout fails RESPONSE_TIMEOUT (retryable) and frees its slot', async () => {
    const window = new InFlight(2);
    expect(window.tryAcquire()).toBe(true);
    const error = await window.track(1, 30, true).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SmppError);
    expect(error).toMatchObject({ code: 'RESPONSE_TIMEOUT', retryable: true });
    expect(window.inUse).toBe(0);
    expect(window.pendingCount).toBe(0);
  });

  it('a request answered in time resolves, and one left unanswered beside it times out; its late answer finds nobody', async () => {
    const window = new InFlight(2);
    window.tryAcquire();
    const answered = window.track(7, 30, true);
    const late = window.track(8, 30, false).catch((e: unknown) => e);
    expect(window.settle(response(7))).toBe(true);
    await expect(answered).resolves.toMatchObject({ sequence_number: 7 });
    expect(await late).toMatchObject({ code: 'RESPONSE_TIMEOUT' });
    // Its answer, after the timeout, finds nobody waiting.
    expect(window.settle(response(8))).toBe(false);
    expect(window.inUse).toBe(0);
  });

  it('a dropped link fails every pending request and window waiter at once', async () => {
    const window = new InFlight(1);
    window.tryAcquire();
    const pending = window.track(1, 60_000, true).catch((e: unknown) => e);
    const waiting = window.acquire().catch((e: unknown) => e);
    window.failAll(SmppError.local('CONNECTION_LOST', 'socket closed'));
    expect(await pending).toMatchObject({ code: 'CONNECTION_LOST' });
    expect(await waiting).toMatchObject({ code: 'CONNECTION_LOST' });
  });
});
