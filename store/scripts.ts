/**
 * Every Lua script of the store, loaded one way (BullMQ's `commands/<name>-<keys>.lua` is the
 * model): `store/lua/<name>-<keys>.lua`, where `<keys>` is the script's number of keys, or `n`
 * when the caller passes the number first. A line `--- @include "<piece>"` is replaced by
 * `store/lua/includes/<piece>.lua`, each piece at most once per script, so a layout that several
 * scripts read (the conversation string) is written once. Each script becomes the ioredis command
 * `gw<Name>` (camelCase), defined once per client: ioredis sends EVALSHA and loads the script
 * itself when Redis does not know it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Result } from 'ioredis';
import type { RedisClient } from './connection.js';

type Arg = string | number | Buffer;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    gwAckOutbox(numKeys: number, ...keysThenArgs: Arg[]): Result<number, Context>;
    gwBatchDone(numKeys: number, ...keysThenArgs: Arg[]): Result<number, Context>;
    gwBatchesDue(batches: string, ageMs: number, limit: number): Result<string[], Context>;
    gwAppend(conversation: string, ...entries: Buffer[]): Result<number, Context>;
    gwClaimDue(
      index: string,
      bucketPrefix: string,
      now: number,
      limit: number,
      lease: number,
      buckets: number,
    ): Result<string[], Context>;
    gwClaim(numKeys: number, ...keysThenArgs: Arg[]): Result<unknown[], Context>;
    gwClaimIdsBuffer(numKeys: number, ...keysThenArgs: Arg[]): Result<Array<1 | Buffer>, Context>;
    gwCommitMany(numKeys: number, ...keysThenArgs: Arg[]): Result<Array<[number, number, number?]>, Context>;
    gwCommit(conversation: string, outbox: string, ...args: Arg[]): Result<[number, number], Context>;
    gwDeadline(
      bucket: string,
      index: string,
      id: string,
      at: string,
      bucketNumber: number,
    ): Result<number, Context>;
    gwMarkOutcome(conversation: string, bits: number): Result<number, Context>;
    gwMarkOutcomes(numKeys: number, ...keysThenArgs: Arg[]): Result<number[], Context>;
    gwLink(numKeys: number, ...keysThenArgs: Arg[]): Result<number, Context>;
    gwMsisdnAdd(numKeys: number, ...keysThenArgs: Arg[]): Result<string | null, Context>;
    gwMsisdnAddMany(numKeys: number, ...keysThenArgs: Arg[]): Result<Array<string | null>, Context>;
    gwMsisdnRemove(bucket: string, msisdn: string, ...ids: string[]): Result<number, Context>;
    gwPace(pace: string, n: number, now: number): Result<number[], Context>;
    gwCampaignMove(counters: string, members: string, ...args: string[]): Result<number, Context>;
    gwCampaignSent(
      counters: string,
      counted: string,
      sms: string,
      ttlSeconds: number,
    ): Result<number, Context>;
    gwReassemble(
      parts: string,
      part: number,
      payloadHex: string,
      total: number,
      ttlSeconds: number,
    ): Result<string[] | null, Context>;
    gwReplySeen(
      seen: string,
      turnLock: string,
      id: string,
      receivedAt: number,
      delivery: string,
      windowMs: number,
      ttlMs: number,
    ): Result<number, Context>;
    gwSent(numKeys: number, ...keysThenArgs: Arg[]): Result<number[], Context>;
    gwTake(counter: string, limit: number, ttlSeconds: number): Result<number, Context>;
    gwTransferClaim(
      record: string,
      fromClaim: string,
      toClaim: string,
      from: string,
      to: string,
    ): Result<number, Context>;
  }
}

export interface Script {
  /** The ioredis command: `gw` and the file's name in camelCase. */
  readonly command: string;
  /** Fixed number of keys; undefined when the caller passes it first. */
  readonly numberOfKeys?: number;
  /** The script with its includes. */
  readonly lua: string;
}

const DIR = new URL('./lua/', import.meta.url);
const INCLUDE = /^--- @include "([a-z-]+)"$/gm;
const FILE = /^([a-z-]+?)-(\d+|n)\.lua$/;

/** `text` with each `--- @include` replaced by its piece, a piece included once. */
function withIncludes(text: string, included: Set<string>): string {
  return text.replace(INCLUDE, (_, piece: string) => {
    if (included.has(piece)) return '';
    included.add(piece);
    return withIncludes(readFileSync(new URL(`includes/${piece}.lua`, DIR), 'utf8'), included);
  });
}

function load(): ReadonlyMap<string, Script> {
  const scripts = new Map<string, Script>();
  for (const file of readdirSync(DIR).sort()) {
    const match = FILE.exec(file);
    if (!match) continue;
    const [, name = '', keys = 'n'] = match;
    const command = `gw${name.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase())}`;
    const lua = withIncludes(readFileSync(new URL(file, DIR), 'utf8'), new Set());
    scripts.set(name, { command, lua, ...(keys === 'n' ? {} : { numberOfKeys: Number(keys) }) });
  }
  return scripts;
}

/** Script name (the file's, without the keys) → the script. */
export const SCRIPTS: ReadonlyMap<string, Script> = load();

const defined = new WeakSet<RedisClient>();

/** The client with every script defined on it as its command (once per client). */
export function withScripts<R extends RedisClient>(redis: R): R {
  if (defined.has(redis)) return redis;
  for (const { command, numberOfKeys, lua } of SCRIPTS.values()) {
    redis.defineCommand(command, numberOfKeys === undefined ? { lua } : { numberOfKeys, lua });
  }
  defined.add(redis);
  return redis;
}
