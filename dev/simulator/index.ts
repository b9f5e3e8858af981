/**
 * The carrier simulator's public surface: a real SMPP 3.4 SMSC for tests, the demo and
 * rehearsals (server.ts), and its HTTP control port (control-http.ts). `npm run sim` is cli.ts.
 */
export { CarrierSimulator } from './server.js';
export type { InjectOptions, ReceivedPdu, ReplyResult, SimulatorOptions } from './types.js';
export { startControlServer } from './control-http.js';
export type { ControlServer } from './control-http.js';
export type { EsmeResponse } from './connection.js';
export type { ReceivedSubmit } from './desk.js';
export type { Faults } from './faults.js';
export { NO_FAULTS } from './faults.js';
export type { ReplySpec } from './mo.js';
export type { WholeMessage, AcceptedPart } from './reassembly.js';
export type { FinalState } from './receipts.js';
export { FINAL_STATES } from './receipts.js';
export type { ConcatRef, ShortMessagePdu, Tlv } from './inspect.js';
export type { SimCounters } from './stats.js';
