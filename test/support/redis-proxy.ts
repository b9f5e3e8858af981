/**
 * A TCP proxy in front of a real redis-server that can lose the answer to one command: armed with
 * a marker (bytes of the command, e.g. a key it names), it forwards the connection's bytes that
 * carry it to Redis as ever and from then on drops everything Redis answers on that connection,
 * until the test cuts it. The client then sees its connection close with that command unanswered,
 * as when Redis or the network dies right after running it.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export interface LosingProxy {
  readonly url: string;
  /**
   * Resolves once a command carrying `marker` went to Redis; its answer, and every later one on that
   * connection, is lost. `cut()` then closes that client connection.
   */
  loseAnswerTo(marker: string): Promise<{ readonly cut: () => void }>;
  close(): Promise<void>;
}

export async function startLosingProxy(redisPort: number): Promise<LosingProxy> {
  const sockets = new Set<Socket>();
  let armed: { marker: Buffer; seen: (lost: { readonly cut: () => void }) => void } | undefined;
  const server: Server = createServer((client) => {
    const upstream = connect(redisPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let muted = false;
    // The marker may straddle two reads: the last bytes of the previous one are searched too.
    let tail = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      const seen = armed;
      const window = Buffer.concat([tail, chunk]);
      tail = window.subarray(Math.max(0, window.length - 256));
      if (seen && window.includes(seen.marker)) {
        armed = undefined;
        muted = true;
        upstream.write(chunk, () =>
          seen.seen({
            cut: () => {
              client.destroy();
              upstream.destroy();
            },
          }),
        );
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!muted) client.write(chunk);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    loseAnswerTo(marker) {
      return new Promise((resolve) => {
        armed = { marker: Buffer.from(marker), seen: resolve };
      });
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
