/**
 * Settings of `npm run sim` (see cli.ts), read from flags, then SIM_* env, then the gateway's
 * SMPP_* env (pure: argv and env are arguments).
 */
import { parseArgs } from 'node:util';
import { isFinalState } from './receipts.js';
import type { FinalState } from './receipts.js';

/** The CLI's settings once read and checked. */
export interface CliConfig {
  readonly host: string;
  readonly port: number;
  readonly systemId: string;
  readonly password: string;
  readonly controlPort: number;
  readonly receiptDelayMs: number;
  readonly finalState: FinalState;
}

const FLAGS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'system-id': { type: 'string' },
  password: { type: 'string' },
  'control-port': { type: 'string' },
  'receipt-delay-ms': { type: 'string' },
  'final-state': { type: 'string' },
} as const;

function port(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`${name}: "${value}" is not a port number (0-65535)`);
  return n;
}

function millis(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${name}: "${value}" is not a whole number of milliseconds`);
  return n;
}

/** parseArgs, with its several-line messages cut to their first line. */
function readFlags(argv: readonly string[]): { [K in keyof typeof FLAGS]?: string } {
  try {
    return parseArgs({ args: [...argv], options: FLAGS, strict: true }).values;
  } catch (error) {
    throw new Error(String(error instanceof Error ? error.message : error).split('\n')[0]);
  }
}

/** Reads flags and env (pure); throws an Error whose message is the one line to print. */
export function parseCliConfig(argv: readonly string[], env: NodeJS.ProcessEnv): CliConfig {
  const values = readFlags(argv);
  const pick = (flag: keyof typeof FLAGS, ...names: string[]): [string, string | undefined] => {
    if (values[flag] !== undefined) return [`--${flag}`, values[flag]];
    const name = names.find((n) => env[n] !== undefined);
    return name === undefined ? [`--${flag}`, undefined] : [name, env[name]];
  };
  const [stateName, state = 'DELIVRD'] = pick('final-state', 'SIM_FINAL_STATE');
  if (!isFinalState(state))
    throw new Error(
      `${stateName}: "${state}" is not one of DELIVRD UNDELIV EXPIRED DELETED REJECTD UNKNOWN ACCEPTD`,
    );
  const [portName, portValue = '2775'] = pick('port', 'SIM_PORT', 'SMPP_PORT');
  const [controlName, controlValue = '2776'] = pick('control-port', 'SIM_CONTROL_PORT');
  const [delayName, delayValue = '200'] = pick('receipt-delay-ms', 'SIM_RECEIPT_DELAY_MS');
  return {
    host: pick('host', 'SIM_HOST')[1] ?? '127.0.0.1',
    port: port(portName, portValue),
    systemId: pick('system-id', 'SIM_SYSTEM_ID', 'SMPP_SYSTEM_ID')[1] ?? 'gw',
    password: pick('password', 'SIM_PASSWORD', 'SMPP_PASSWORD')[1] ?? 'secret',
    controlPort: port(controlName, controlValue),
    receiptDelayMs: millis(delayName, delayValue),
    finalState: state,
  };
}
