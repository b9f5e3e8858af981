/** CARRIERS_FILE-shaped carriers for the routing tests (every field given, as the zod schema would fill). */
import type { CarrierConfig } from '../../gateway/config.js';
import type { BindTuning } from '../../gateway/smpp/routes.js';

type BindEntry = CarrierConfig['binds'][number];

/** One carrier on 127.0.0.1:`port` with the Perl SMSC's credentials. */
export function carrier(
  id: string,
  port: number,
  options: Partial<Omit<CarrierConfig, 'binds'>> & { bind?: Partial<BindEntry> } = {},
): CarrierConfig {
  const { bind, ...rest } = options;
  return {
    id,
    tps: 1000,
    window: 10,
    enquireLinkSeconds: 30,
    routes: [],
    concat: 'udh8',
    ...rest,
    binds: [
      {
        host: '127.0.0.1',
        port,
        systemId: 'gw',
        password: 'secret',
        systemType: '',
        mode: 'transceiver',
        tls: false,
        count: 1,
        ...bind,
      },
    ],
  };
}

/** Test timings: reconnect fast, close within 2 s. */
export const FAST: BindTuning = {
  overrides: { reconnect: { initialMs: 20, maxMs: 200 }, closeTimeoutMs: 2000 },
};
