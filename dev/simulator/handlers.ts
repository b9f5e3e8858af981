/**
 * One handler per command the simulated SMSC accepts (SMPP 3.4 §4), as a table: a command
 * missing from it gets generic_nack ESME_RINVCMDID (§4.3), as data_sm, submit_multi, query_sm,
 * cancel_sm and replace_sm do here.
 */
import type smpp from 'smpp';
import type { BindMode, SimConnection } from './connection.js';
import type { Faults } from './faults.js';
import { STATUS } from './faults.js';
import type { SimCounters } from './stats.js';

/** What the handlers need from the simulator. */
export interface HandlerContext {
  readonly systemId: string;
  readonly password: string;
  /** system_id sent back in bind responses. */
  readonly smscSystemId: string;
  readonly counters: SimCounters;
  faults(): Faults;
  submit(connection: SimConnection, request: smpp.PDU): void;
}

type Handler = (ctx: HandlerContext, connection: SimConnection, pdu: smpp.PDU) => void;

const BIND_MODES: Readonly<Record<string, BindMode>> = {
  bind_transceiver: 'transceiver',
  bind_transmitter: 'transmitter',
  bind_receiver: 'receiver',
};

/** SMPP 3.4 §4.1: check in the order smsc.pl does, so both simulators answer alike. */
function bindStatus(ctx: HandlerContext, connection: SimConnection, pdu: smpp.PDU): number {
  if (connection.bound) return STATUS.RALYBND;
  if (pdu.system_id !== ctx.systemId) return STATUS.RINVSYSID;
  if (pdu.password !== ctx.password) return STATUS.RINVPASWD;
  return STATUS.ROK;
}

const bind: Handler = (ctx, connection, pdu) => {
  const status = bindStatus(ctx, connection, pdu);
  if (status !== STATUS.ROK) {
    ctx.counters.bindFailures++;
    // A failed bind leaves the socket open: the ESME may try again (smsc.pl does the same).
    connection.respond(pdu, { command_status: status });
    return;
  }
  ctx.counters.binds++;
  connection.systemId = ctx.systemId;
  // sc_interface_version 0x34 tells the ESME this SMSC speaks SMPP 3.4 (§5.3.2.25).
  connection.respond(pdu, { system_id: ctx.smscSystemId, sc_interface_version: 0x34 });
  connection.setState(BIND_MODES[pdu.command] ?? 'transceiver');
};

const enquireLink: Handler = (ctx, connection, pdu) => {
  ctx.counters.enquireLinks++;
  if (!ctx.faults().ignoreEnquireLink) connection.respond(pdu);
};

/** §4.2: answer, then close; the ESME would close too, but a carrier does not wait for it. */
const unbind: Handler = (_ctx, connection, pdu) => {
  connection.respond(pdu);
  connection.setState('open');
  connection.end();
};

const submit: Handler = (ctx, connection, pdu) => ctx.submit(connection, pdu);

/** Responses to our own requests are matched to them by the library's sequence callbacks. */
const response: Handler = () => undefined;

const HANDLERS: Readonly<Record<string, Handler>> = {
  bind_transceiver: bind,
  bind_transmitter: bind,
  bind_receiver: bind,
  enquire_link: enquireLink,
  unbind,
  submit_sm: submit,
  unbind_resp: (_ctx, connection) => connection.end(),
  deliver_sm_resp: response,
  enquire_link_resp: response,
  generic_nack: response,
};

const unsupported: Handler = (_ctx, connection, pdu) => {
  if (!pdu.isResponse()) connection.nack(pdu, STATUS.RINVCMDID);
};

/** Dispatches one received PDU. */
export function handlePdu(ctx: HandlerContext, connection: SimConnection, pdu: smpp.PDU): void {
  ctx.counters.pdusReceived++;
  (HANDLERS[pdu.command] ?? unsupported)(ctx, connection, pdu);
}
