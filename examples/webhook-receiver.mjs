// A plain webhook receiver for the gateway's outcomes (docs/integration.md, "Webhooks"): Node's
// http module and crypto, nothing else. It checks the signature and the timestamp before it
// trusts a body, answers 2xx only once the event is handled, and dedupes by the event id.
//
//   WEBHOOK_SECRET=<the secret in WEBHOOKS_FILE> PORT=9090 node examples/webhook-receiver.mjs
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

/** True when `signature` (`v1=<hex>`) is HMAC-SHA256(secret, `${timestamp}.${body}`), and fresh. */
export function verifySignature(secret, timestamp, body, signature, nowS = Date.now() / 1000) {
  const ts = Number(timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowS - ts) > 300) return false;
  const expected = Buffer.from(`v1=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`);
  const given = Buffer.from(String(signature ?? ''));
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Listens on `port` (0: any free one); `onEvent(outcome, eventId)` once per event id. */
export function startWebhookReceiver({ port = 0, secret, onEvent }) {
  const seen = new Set();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const ok = verifySignature(
        secret,
        req.headers['x-1414-timestamp'],
        body,
        req.headers['x-1414-signature'],
      );
      if (!ok) {
        res.writeHead(401).end('bad signature');
        return;
      }
      const id = String(req.headers['x-1414-event-id'] ?? '');
      Promise.resolve()
        .then(() => (seen.has(id) ? undefined : onEvent(JSON.parse(body), id)))
        .then(() => {
          seen.add(id);
          res.writeHead(204).end();
        })
        .catch(() => res.writeHead(500).end());
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const server = await startWebhookReceiver({
    port: Number(process.env.PORT ?? 9090),
    secret: process.env.WEBHOOK_SECRET ?? '',
    onEvent: (outcome, id) => console.log(JSON.stringify({ id, ...outcome })),
  });
  console.log(`listening on http://127.0.0.1:${server.address().port}/`);
}
