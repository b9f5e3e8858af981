/**
 * A corrupt stream from the SMSC: the Perl SMSC never sends one, so a raw TCP
 * peer plays the SMSC here, speaking just enough SMPP to accept a bind.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { SmppBind } from '../../gateway/smpp/bind.js';
import { eventually } from '../support/gateway.js';
import { testBind } from './helpers.js';

/** 16-octet header (SMPP 3.4 §3.2) followed by `body`. */
function pdu(commandId: number, sequence: number, body: Buffer = Buffer.alloc(0), status = 0): Buffer {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(16 + body.length, 0);
  head.writeUInt32BE(commandId, 4);
  head.writeUInt32BE(status, 8);
  head.writeUInt32BE(sequence, 12);
  return Buffer.concat([head, body]);
}

const BIND_TRANSCEIVER_RESP = 0x80000009;
const DELIVER_SM = 0x00000005;
const GENERIC_NACK = 0x80000000;

/** Accepts binds; on the first connection only, sends `poison` once bound. */
async function rawSmsc(poison: Buffer) {
  const received: Array<{ conn: number; commandId: number; status: number; sequence: number }> = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    const conn = sockets.push(socket);
    socket.on('data', (data) => {
      for (let at = 0; at + 16 <= data.length; at += data.readUInt32BE(at)) {
        const commandId = data.readUInt32BE(at + 4);
        received.push({
          conn,
          commandId,
          status: data.readUInt32BE(at + 8),
          sequence: data.readUInt32BE(at + 12),
        });
        if (commandId === 0x00000009) {
          socket.write(pdu(BIND_TRANSCEIVER_RESP, data.readUInt32BE(at + 12), Buffer.from('RAW\0')));
          if (conn === 1) socket.write(poison);
        }
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { server, port, received, sockets };
}

let bind: SmppBind | undefined;
let server: net.Server | undefined;
let sockets: net.Socket[] = [];

afterEach(async () => {
  await bind?.close();
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server?.close(resolve));
  bind = server = undefined;
});

describe('a malformed PDU from the SMSC', () => {
  it.each([
    ['command_length below the 16-octet header', Buffer.from([0, 0, 0, 8, 0, 0, 0, 5])],
    ['command_length beyond 64 KiB', pdu(DELIVER_SM, 9).fill(0xff, 0, 4)],
  ])('%s closes that bind with generic_nack, and the bind reconnects', async (_name, poison) => {
    const peer = await rawSmsc(poison);
    server = peer.server;
    sockets = peer.sockets;
    const t = testBind(peer.port, { closeTimeoutMs: 200 }); // the raw peer never answers unbind
    bind = t.bind;
    await bind.waitFor('bound', 5000);
    await bind.waitFor('disconnected', 5000);
    await bind.waitFor('bound', 5000);
    expect(peer.sockets).toHaveLength(2);
    expect(peer.received.filter((r) => r.conn === 1 && r.commandId === GENERIC_NACK)).toHaveLength(1);
    expect(t.logger.lines.some((l) => l.msg === 'unreadable PDU; closing bind')).toBe(true);
  });

  it('a whole deliver_sm whose body is cut short is refused with generic_nack, and the bind stays up', async () => {
    const peer = await rawSmsc(pdu(DELIVER_SM, 9, Buffer.from([0x00, 0x01])));
    server = peer.server;
    sockets = peer.sockets;
    const t = testBind(peer.port, { closeTimeoutMs: 200 }); // the raw peer never answers unbind
    bind = t.bind;
    await bind.waitFor('bound', 5000);
    await eventually(
      () => Promise.resolve(peer.received.some((r) => r.commandId === GENERIC_NACK)),
      'the nack',
    );
    expect(peer.received.filter((r) => r.commandId === GENERIC_NACK)).toEqual([
      { conn: 1, commandId: GENERIC_NACK, status: 0x02, sequence: 9 },
    ]);
    expect(t.logger.lines.some((l) => l.msg === 'unreadable PDU refused with generic_nack')).toBe(true);
    expect(bind.state).toBe('bound');
    expect(peer.sockets).toHaveLength(1);
  });
});
