import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeGsm7 } from '../../sms/encoding.js';
import { startControlServer } from '../../dev/simulator/control-http.js';
import type { ControlServer } from '../../dev/simulator/control-http.js';
import { CarrierSimulator } from '../../dev/simulator/server.js';
import { TestEsme } from './esme.js';

/** A JSON answer: an object or a list of objects. */
type Json = Record<string, unknown> & Array<Record<string, unknown>>;

let sim: CarrierSimulator;
let control: ControlServer;
let esme: TestEsme;

const call = async (
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Json }> => {
  const init: RequestInit = body === undefined ? { method } : { method, body: JSON.stringify(body) };
  const res = await fetch(`${control.url}${path}`, init);
  return { status: res.status, json: (await res.json()) as Json };
};

beforeEach(async () => {
  sim = await CarrierSimulator.start({ port: 0, receiptDelayMs: 0 });
  control = await startControlServer(sim, { port: 0 });
  esme = await TestEsme.bound(sim);
});
afterEach(async () => {
  esme.close();
  await control.close();
  await sim.stop();
});

describe('carrier simulator: HTTP control port', () => {
  it('POST /mo injects a citizen reply and answers with the deliver_sm_resp statuses', async () => {
    const { status, json } = await call('POST', '/mo', { from: '77011234567', text: '123#3#1' });
    expect(status).toBe(200);
    expect(json.statuses).toEqual([0]);
    expect((await esme.nextDeliver()).text).toBe('123#3#1');
  });

  it('POST /mo with a bad body answers 400 naming the field', async () => {
    const { status, json } = await call('POST', '/mo', { from: 'abc', text: 'x' });
    expect(status).toBe(400);
    expect(json.error).toMatch(/from/);
  });

  it('POST /faults changes faults at run time; GET /faults shows them', async () => {
    const set = await call('POST', '/faults', { throttleEvery: 1 });
    expect(set.json.throttleEvery).toBe(1);
    const resp = await esme.request('submit_sm', {
      destination_addr: '77011234567',
      short_message: encodeGsm7('x'),
    });
    expect(resp.command_status).toBe(0x58);
    expect((await call('GET', '/faults')).json.throttleEvery).toBe(1);
    expect((await call('POST', '/faults', { throttleEvery: -1 })).status).toBe(400);
  });

  it('GET /messages?to= lists whole messages to one MSISDN; GET /submits and /stats show the rest', async () => {
    await esme.request('submit_sm', { destination_addr: '77011234567', short_message: encodeGsm7('for A') });
    await esme.request('submit_sm', { destination_addr: '77020000000', short_message: encodeGsm7('for B') });
    const { json } = await call('GET', '/messages?to=77011234567');
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({ destination: '77011234567', text: 'for A', parts: 1 });
    const submits = (await call('GET', '/submits')).json;
    expect(submits[1]).toMatchObject({
      destination: '77020000000',
      shortMessageHex: encodeGsm7('for B').toString('hex'),
    });
    expect((await call('GET', '/stats')).json).toMatchObject({ submitsAccepted: 2, bound: 1 });
  });

  it('POST /final-state and POST /receipt drive receipts by hand', async () => {
    await call('POST', '/final-state', { msisdn: '77011234567', state: 'EXPIRED' });
    const resp = await esme.request('submit_sm', {
      destination_addr: '77011234567',
      registered_delivery: 1,
      short_message: encodeGsm7('x'),
    });
    expect((await esme.nextDeliver()).text).toContain('stat:EXPIRED');
    const manual = await call('POST', '/receipt', { messageId: resp.message_id, state: 'DELIVRD' });
    expect(manual.json.status).toBe(0);
    expect((await esme.nextDeliver()).text).toContain('stat:DELIVRD');
    expect((await call('POST', '/receipt', { messageId: 'nope' })).status).toBe(409);
  });

  it('POST /drop cuts the ESME connections', async () => {
    const { json } = await call('POST', '/drop');
    expect(json).toEqual({ dropped: 1 });
    await esme.closed;
  });

  it('answers 404 for an unknown route', async () => {
    expect((await call('GET', '/nope')).status).toBe(404);
  });
});
