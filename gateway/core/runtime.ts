/**
 * The gateway's core, wired from its parts: services, templates, calendar,
 * the Redis store, the BullMQ queues and the conversation service. Used by
 * gateway.ts, the demo, the HTTP tests and the scenario tests.
 */
import { readFile } from 'node:fs/promises';
import { Queue } from 'bullmq';
import { GatewayError } from '../../common/errors.js';
import {
  coverageWarnings,
  DEFAULT_CALENDAR_FILE,
  loadCalendarFile,
  type WorkingCalendar,
} from '../../dialogue/calendar.js';
import type { DeadlineFn } from '../../dialogue/engine.js';
import { QUEUES } from '../../queues/names.js';
import { loadServices, templatesOf, type ServiceRegistry } from '../../services/load.js';
import type { CampaignStore } from '../../store/campaigns.js';
import type { CarrierMemory } from '../../store/carriers.js';
import { ConversationStore } from '../../store/conversations.js';
import type { RedisClient } from '../../store/redis.js';
import { createRenderer, loadSamples, loadTemplates, type Renderer } from '../../templates/index.js';
import type { Logger } from '../log.js';
import { ConversationService } from './conversations.js';
import { storeDictionaries } from './dictionary.js';
import { Outbox } from './outbox.js';
import { SmsHandOver } from './sms-handover.js';

export interface CoreOptions {
  readonly redis: RedisClient;
  readonly log: Logger;
  /** Prefix of the gateway's own keys; tests give each test its own. Default `gw`. */
  readonly keyPrefix?: string;
  /**
   * BullMQ prefix. Default `bull` (BullMQ's own), so downstream workers read `assignments` with
   * default settings; on Redis Cluster use a hash tag, e.g. `{bull}`.
   */
  readonly queuePrefix?: string;
  readonly now?: () => number;
  readonly retentionDays?: number;
  readonly calendarFile?: string | undefined;
  /**
   * The carriers (CARRIERS_FILE): with more than one, the carrier of each number is learned
   * and kept `carrierMemoryDays` (default 30), and their "not our subscriber" receipt codes
   * send an SMS once more elsewhere.
   */
  readonly carriers?: ReadonlyArray<{
    readonly id: string;
    readonly notSubscriber?: { readonly receiptErr: readonly string[] } | undefined;
  }>;
  readonly carrierMemoryDays?: number;
}

export interface Queues {
  readonly assignments: Queue;
  readonly smsOut: Queue;
  readonly inbound: Queue;
}

export interface Core {
  readonly conversations: ConversationService;
  readonly store: ConversationStore;
  readonly outbox: Outbox;
  readonly queues: Queues;
  /** Puts SMS in `sms-out`, several of one turn per job. */
  readonly sms: SmsHandOver;
  /** Progress counters per campaign (queued, sent, delivered, failed, replied, consented). */
  readonly campaigns: CampaignStore;
  /** The carrier learned per number; undefined with a single carrier (nothing to choose). */
  readonly carrierMemory: CarrierMemory | undefined;
  /** Per carrier, the receipt `err:` codes that mean "not our subscriber". */
  readonly notSubscriberReceipts: ReadonlyMap<string, ReadonlySet<string>>;
  readonly renderer: Renderer;
  readonly services: ServiceRegistry;
  readonly calendar: WorkingCalendar;
  readonly queuePrefix: string;
  readonly now: () => number;
  close(): Promise<void>;
}

export function deadlineFrom(calendar: WorkingCalendar): DeadlineFn {
  return (spec, now) => {
    const at = new Date(now);
    if ('workingDays' in spec) return calendar.addWorkingDays(at, spec.workingDays).getTime();
    if ('calendarDays' in spec) return calendar.addCalendarDays(at, spec.calendarDays).getTime();
    return calendar.addMonths(at, spec.months).getTime();
  };
}

function checkTemplates(services: ServiceRegistry, renderer: Renderer): void {
  const missing = [...services.values()].flatMap((s) =>
    templatesOf(s)
      .filter((id) => !renderer.catalogue.entries.has(id))
      .map((id) => `${s.id}: template ${id}`),
  );
  if (missing.length)
    throw new GatewayError('GW_SERVICE_INVALID', `services name missing templates: ${missing.join('; ')}`);
}

export async function createCore(options: CoreOptions): Promise<Core> {
  const { redis, log } = options;
  const now = options.now ?? Date.now;
  const [services, catalogue, samples, calendar] = await Promise.all([
    loadServices(),
    loadTemplates(),
    loadSamples(),
    loadCalendarFile(options.calendarFile ?? DEFAULT_CALENDAR_FILE, (p) => readFile(p, 'utf8')),
  ]);
  const renderer = createRenderer(catalogue);
  // Kurban Ait and the yearly transfers are data: say so when this year or the next has none.
  for (const warning of coverageWarnings(calendar, new Date(now()))) log.warn(warning);
  checkTemplates(services, renderer);
  const queuePrefix = options.queuePrefix ?? 'bull';
  const queueOpts = { connection: redis, prefix: queuePrefix };
  const queues: Queues = {
    assignments: new Queue(QUEUES.assignments, queueOpts),
    smsOut: new Queue(QUEUES.smsOut, queueOpts),
    inbound: new Queue(QUEUES.inbound, queueOpts),
  };
  // Without a listener BullMQ prints connection errors as raw stack traces; they belong in the log.
  for (const queue of Object.values(queues) as Queue[]) {
    queue.on('error', (err: Error) =>
      log.warn({ queue: queue.name, err: err.message }, 'queue connection error'),
    );
  }
  const store = await ConversationStore.open(redis, {
    keyPrefix: options.keyPrefix ?? 'gw',
    retentionSeconds: (options.retentionDays ?? 90) * 86_400,
    dictionaries: storeDictionaries(renderer, samples, services),
  });
  const sms = new SmsHandOver(queues.smsOut);
  const outbox = new Outbox({ store, assignments: queues.assignments, sms, log });
  const { campaigns } = store;
  const carriers = options.carriers ?? [];
  const carrierMemory =
    carriers.length > 1 ? store.carrierMemory((options.carrierMemoryDays ?? 30) * 86_400) : undefined;
  const notSubscriberReceipts = new Map(
    carriers.map((c) => [c.id, new Set(c.notSubscriber?.receiptErr.map((e) => e.toLowerCase()) ?? [])]),
  );
  const conversations = new ConversationService({
    store,
    services,
    renderer,
    deadline: deadlineFrom(calendar),
    outbox,
    campaigns,
    log,
    now,
  });
  return {
    conversations,
    store,
    outbox,
    queues,
    sms,
    campaigns,
    carrierMemory,
    notSubscriberReceipts,
    renderer,
    services,
    calendar,
    queuePrefix,
    now,
    async close() {
      await Promise.all(Object.values(queues).map((q: Queue) => q.close()));
    },
  };
}
