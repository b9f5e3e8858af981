/**
 * `npm run sim`: the carrier simulator with its HTTP control port, for the demo and for
 * operators to rehearse. Settings come from flags, else SIM_* env, else the gateway's own
 * SMPP_* env (so one environment makes both sides agree), else defaults:
 *
 *   --host H              SIM_HOST                          127.0.0.1
 *   --port N              SIM_PORT, SMPP_PORT               2775 (0 = any free port)
 *   --system-id S         SIM_SYSTEM_ID, SMPP_SYSTEM_ID     gw
 *   --password P          SIM_PASSWORD, SMPP_PASSWORD       secret
 *   --control-port N      SIM_CONTROL_PORT                  2776 (0 = any free port)
 *   --receipt-delay-ms N  SIM_RECEIPT_DELAY_MS              200 (a visible delay, as smsc.pl)
 *   --final-state S       SIM_FINAL_STATE                   DELIVRD
 *
 * Prints `carrier simulator listening smpp=H:P control=URL pid=N` once both ports listen;
 * SIGINT/SIGTERM unbind the ESMEs and exit 0. A bad value prints one line and exits 2.
 */
import { parseCliConfig } from './cli-config.js';
import type { CliConfig } from './cli-config.js';
import { startControlServer } from './control-http.js';
import { CarrierSimulator } from './server.js';

async function main(): Promise<void> {
  let config: CliConfig;
  try {
    config = parseCliConfig(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`sim: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  const { host, port, systemId, password, receiptDelayMs, finalState } = config;
  const sim = await CarrierSimulator.start({
    host,
    port,
    systemId,
    password,
    receiptDelayMs,
    defaultFinalState: finalState,
  });
  const control = await startControlServer(sim, { host, port: config.controlPort });
  process.stdout.write(
    `carrier simulator listening smpp=${sim.host}:${sim.port} control=${control.url} pid=${process.pid}\n`,
  );
  process.stdout.write(
    `  try: curl -s -XPOST ${control.url}/mo -d '{"from":"77011234567","text":"123#3#1"}'\n`,
  );
  const stop = (): void => {
    void Promise.all([control.close(), sim.stop({ graceful: true })]).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

await main();
