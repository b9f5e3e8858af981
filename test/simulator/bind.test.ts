import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CarrierSimulator } from '../../dev/simulator/server.js';
import { TestEsme } from './esme.js';

let sim: CarrierSimulator;
const esmes: TestEsme[] = [];
const connect = async (): Promise<TestEsme> => {
  const esme = await TestEsme.connect(sim);
  esmes.push(esme);
  return esme;
};

beforeEach(async () => {
  sim = await CarrierSimulator.start({ port: 0, systemId: 'gw', password: 'secret' });
});
afterEach(async () => {
  for (const esme of esmes.splice(0)) esme.close();
  await sim.stop();
});

describe('carrier simulator: binds and session commands', () => {
  it('refuses a wrong password with ESME_RINVPASWD and a wrong system_id with ESME_RINVSYSID, keeping the socket open', async () => {
    const esme = await connect();
    const badPassword = await esme.request('bind_transceiver', { system_id: 'gw', password: 'nope' });
    expect(badPassword.command).toBe('bind_transceiver_resp');
    expect(badPassword.command_status).toBe(0x0e);
    const badSystem = await esme.request('bind_transceiver', { system_id: 'other', password: 'secret' });
    expect(badSystem.command_status).toBe(0x0f);
    const good = await esme.request('bind_transceiver', { system_id: 'gw', password: 'secret' });
    expect(good.command_status).toBe(0);
    expect(good.system_id).toBe('FAKESMSC');
    expect(sim.stats()).toMatchObject({ binds: 1, bindFailures: 2, bound: 1 });
  });

  it.each([
    ['bind_transceiver', 'bind_transceiver_resp'],
    ['bind_transmitter', 'bind_transmitter_resp'],
    ['bind_receiver', 'bind_receiver_resp'],
  ])('accepts %s', async (command, response) => {
    const esme = await connect();
    const resp = await esme.request(command, { system_id: 'gw', password: 'secret' });
    expect(resp.command).toBe(response);
    expect(resp.command_status).toBe(0);
    await sim.waitForBind(1);
  });

  it('refuses a second bind on the same connection with ESME_RALYBND', async () => {
    const esme = await connect();
    await esme.request('bind_transceiver', { system_id: 'gw', password: 'secret' });
    const again = await esme.request('bind_transmitter', { system_id: 'gw', password: 'secret' });
    expect(again.command_status).toBe(0x05);
  });

  it('waitForBind resolves when two ESMEs are bound at once', async () => {
    const waiting = sim.waitForBind(2);
    esmes.push(await TestEsme.bound(sim), await TestEsme.bound(sim, 'bind_receiver'));
    await expect(waiting).resolves.toBeUndefined();
  });

  it('waitForBind rejects with a clear message when nobody binds in time', async () => {
    await expect(sim.waitForBind(1, 50)).rejects.toThrow(/timed out after 50 ms waiting for 1 bound ESME/);
  });

  it('answers enquire_link, before and after bind', async () => {
    const esme = await connect();
    expect((await esme.request('enquire_link')).command).toBe('enquire_link_resp');
    await esme.request('bind_transceiver', { system_id: 'gw', password: 'secret' });
    expect((await esme.request('enquire_link')).command_status).toBe(0);
    expect(sim.stats().enquireLinks).toBe(2);
  });

  it('answers unbind with unbind_resp and then closes the connection', async () => {
    const esme = await connect();
    await esme.request('bind_transceiver', { system_id: 'gw', password: 'secret' });
    const resp = await esme.request('unbind');
    expect(resp.command).toBe('unbind_resp');
    await esme.closed;
    await sim.waitForNoConnections();
  });

  it('answers unsupported commands (query_sm, data_sm) with generic_nack ESME_RINVCMDID', async () => {
    const esme = await TestEsme.bound(sim);
    esmes.push(esme);
    const query = await esme.request('query_sm', { message_id: 'x' });
    expect(query.command).toBe('generic_nack');
    expect(query.command_status).toBe(0x03);
    const data = await esme.request('data_sm', { destination_addr: '77011234567' });
    expect(data.command).toBe('generic_nack');
  });

  it('answers an unknown command_id with generic_nack ESME_RINVCMDID', async () => {
    const esme = await TestEsme.bound(sim);
    esmes.push(esme);
    const nack = esme.nextCommand('generic_nack');
    const unknown = Buffer.alloc(16);
    unknown.writeUInt32BE(16, 0);
    unknown.writeUInt32BE(0x00000077, 4);
    unknown.writeUInt32BE(0, 8);
    unknown.writeUInt32BE(4242, 12);
    esme.session.socket.write(unknown);
    const resp = await nack;
    expect(resp.command_status).toBe(0x03);
    expect(resp.sequence_number).toBe(4242);
    const seen = await sim.nextPdu((p) => p.commandId === 0x77);
    expect(seen.command).toBe('unknown');
  });

  it('refuses submit_sm before bind with ESME_RINVBNDSTS, and from a receiver bind too', async () => {
    const esme = await connect();
    const early = await esme.request('submit_sm', {
      destination_addr: '77011234567',
      short_message: Buffer.from('hi'),
    });
    expect(early.command_status).toBe(0x04);
    await esme.request('bind_receiver', { system_id: 'gw', password: 'secret' });
    const receiver = await esme.request('submit_sm', {
      destination_addr: '77011234567',
      short_message: Buffer.from('hi'),
    });
    expect(receiver.command_status).toBe(0x04);
    expect(sim.messages).toHaveLength(0);
    expect(sim.submits.map((s) => s.status)).toEqual([0x04, 0x04]);
  });
});
