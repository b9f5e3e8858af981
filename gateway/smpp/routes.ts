/**
 * CARRIERS_FILE → routing table and per-bind settings (pure).
 *
 * Kazakhstan has mobile number portability (since 2019), so a number's prefix
 * does not prove its carrier: routes are configuration, matched by the longest
 * prefix, and whatever no route names goes to the default carrier.
 */
import type { ConnectionOptions } from 'node:tls';
import { routeOwners, type BindConfig as BindSettings, type CarrierConfig } from '../config.js';
import { sourceAddressing, type SourceAddressing } from './address.js';
import { bindConfig, type BindConfig, type BindConfigInput } from './config.js';

/** One route: MSISDNs starting with `prefix` go to `carrier`. */
export interface Route {
  readonly prefix: string;
  readonly carrier: string;
}

/** Routes sorted longest prefix first, so the first match is the most specific. */
export type RouteTable = readonly Route[];

/** Build the table (a prefix claimed by two carriers stops start-up: config.ts `routeOwners`). */
export function routeTable(carriers: readonly Pick<CarrierConfig, 'id' | 'routes'>[]): RouteTable {
  return [...routeOwners(carriers)]
    .map(([prefix, carrier]) => ({ prefix, carrier }))
    .sort((a, b) => b.prefix.length - a.prefix.length || a.prefix.localeCompare(b.prefix));
}

/** The carrier for `msisdn`: the longest matching prefix, else `defaultCarrier`. */
export function routeFor(table: RouteTable, msisdn: string, defaultCarrier: string): string {
  return table.find((r) => msisdn.startsWith(r.prefix))?.carrier ?? defaultCarrier;
}

/** Settings the carriers file does not hold: timings (tests, tuning) and TLS trust (a private CA). */
export interface BindTuning {
  readonly overrides?: Partial<Omit<BindConfigInput, 'id' | 'host' | 'port' | 'systemId' | 'password'>>;
  /** Extra `tls.connect` options for binds with `tls: true` (e.g. `ca`); the host name is checked. */
  readonly tls?: ConnectionOptions;
  /** The clock of the binds' submit rates (tests move it). Default Date.now. */
  readonly now?: () => number;
}

/** The binds of one "bind" entry: a transceiver, or a transmitter and a receiver (`pair`). */
const MODES = {
  transceiver: [{ mode: 'transceiver', suffix: '' }],
  pair: [
    { mode: 'transmitter', suffix: '-tx' },
    { mode: 'receiver', suffix: '-rx' },
  ],
} as const;

/**
 * Every bind of `carrier`, with ids `<carrier>-<n>` (`-tx` / `-rx` for a pair);
 * `tps` and `window` per bind fall back to the carrier's.
 */
export function carrierBindConfigs(
  carrier: CarrierConfig,
  sourceAddr: string,
  tuning: BindTuning = {},
): BindConfig[] {
  const configs: BindConfig[] = [];
  let n = 0;
  for (const bind of carrier.binds) {
    for (let copy = 0; copy < bind.count; copy++) {
      n++;
      for (const { mode, suffix } of MODES[bind.mode]) {
        configs.push(
          bindConfig({
            ...settings(carrier, bind, sourceAddr, tuning),
            id: `${carrier.id}-${n}${suffix}`,
            mode,
          }),
        );
      }
    }
  }
  return configs;
}

/** The carrier's sender with the TON and NPI of its form, unless the carrier names its own. */
function sender(carrier: CarrierConfig, fallback: string): SourceAddressing {
  const addr = carrier.sourceAddr ?? fallback;
  const derived = sourceAddressing(addr);
  // Checked at start-up (config.ts); a test's free-form address keeps a short code's addressing.
  const base = 'error' in derived ? { sourceAddr: addr, sourceTon: 3, sourceNpi: 0 } : derived;
  return {
    sourceAddr: base.sourceAddr,
    sourceTon: carrier.sourceTon ?? base.sourceTon,
    sourceNpi: carrier.sourceNpi ?? base.sourceNpi,
  };
}

function settings(
  carrier: CarrierConfig,
  bind: BindSettings,
  sourceAddr: string,
  tuning: BindTuning,
): Omit<BindConfigInput, 'id'> {
  return {
    enquireLinkMs: carrier.enquireLinkSeconds * 1000,
    ...tuning.overrides,
    host: bind.host,
    port: bind.port,
    systemId: bind.systemId,
    password: bind.password,
    systemType: bind.systemType,
    window: bind.window ?? carrier.window,
    tps: bind.tps ?? carrier.tps,
    ...(bind.tls ? { tls: { ...tuning.tls } } : {}),
    submit: {
      ...tuning.overrides?.submit,
      ...sender(carrier, sourceAddr),
      concat: carrier.concat,
    },
  };
}
