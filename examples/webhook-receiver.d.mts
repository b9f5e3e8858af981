// Types of the example, for TypeScript users and the test that drives it.
import type { Server } from 'node:http';

export function verifySignature(
  secret: string,
  timestamp: string | undefined,
  body: string,
  signature: string | undefined,
  nowS?: number,
): boolean;

export function startWebhookReceiver(options: {
  port?: number;
  secret: string;
  onEvent: (outcome: Record<string, unknown>, eventId: string) => void | Promise<void>;
}): Promise<Server>;
