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
import { offsetAt } from '../../dialogue/time.js';
import type { DeadlineSpec } from '../../services/schema.js';
import { DEFAULT_SEND_WINDOW, parseSendWindow, type SendWindow } from '../../dialogue/window.js';
import type { HoldIndex } from '../../store/holds.js';
import { QUEUES } from '../../queues/names.js';
import { OUTCOME_EVENTS_MAX_LEN } from '../../queues/outcomes.js';
import { loadServices, templatesOf, type ServiceRegistry } from '../../services/load.js';
import type { AwaitedReceipts } from '../../store/awaited-receipts.js';
import type { CampaignStore } from '../../store/campaigns.js';
import type { CarrierMemory } from '../../store/carriers.js';
import type { StateCounts } from '../../store/state-counts.js';
import { ConversationStore } from '../../store/conversations.js';
import type { RedisClient } from '../../store/connection.js';
import { loadSamples, loadTemplateSets, type TemplateSets } from '../../templates/index.js';
import type { ConnectionLog } from '../connection-log.js';
import type { Logger } from '../log.js';
import { acceptanceStarter, ConversationService } from './conversations.js';
import { storeDictionaries } from './dictionary.js';
import { Outbox } from './outbox.js';
import { OutcomeEmitter } from './outcomes.js';
import { SmsHandOver } from './sms-handover.js';
import { Worklists } from './worklists.js';

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
  /** SEND_WINDOW (dialogue/window.ts); 09:00-21:00 on working days when absent. */
  readonly sendWindow?: SendWindow;
  /** Where the queues' connection errors go (one line per outage); logged one by one without it. */
  readonly connections?: ConnectionLog;
  /** The templates folder (sets, files, locales); default the repository's `templates/`. */
  readonly templatesDir?: string | undefined;
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
  /** An SMS with no final receipt this long after it was sent is "delivery unknown". Default 72. */
  readonly receiptTimeoutHours?: number;
  /** The pauses before each new try of a failed outbox hand-over (outbox.ts `HANDOVER_RETRY_MS`). */
  readonly handOverRetryMs?: readonly number[];
}

export interface Queues {
  readonly assignments: Queue;
  /** One job per outcome of a conversation (queues/outcomes.ts). */
  readonly outcomes: Queue;
  readonly smsOut: Queue;
  readonly inbound: Queue;
}

export interface Core {
  readonly conversations: ConversationService;
  readonly store: ConversationStore;
  readonly outbox: Outbox;
  readonly queues: Queues;
  /** Puts outcomes in `outcomes` (and hands them to the webhooks). */
  readonly outcomes: OutcomeEmitter;
  /** Puts SMS in `sms-out`, several of one turn per job. */
  readonly sms: SmsHandOver;
  /** Progress counters per campaign (queued, sent, delivered, failed, replied, consented). */
  readonly campaigns: CampaignStore;
  /** Conversations by service and state, for /metrics. */
  readonly stateCounts: StateCounts;
  /** The call centre's worklists (undelivered, not understood, deadlines by day). */
  readonly worklists: Worklists;
  /** The carrier learned per number; undefined with a single carrier (nothing to choose). */
  readonly carrierMemory: CarrierMemory | undefined;
  /** SMS awaiting their final receipt, swept after `receiptTimeoutMs` (delivery-unknown.ts). */
  readonly awaitedReceipts: AwaitedReceipts;
  readonly receiptTimeoutMs: number;
  /** Per carrier, the receipt `err:` codes that mean "not our subscriber". */
  readonly notSubscriberReceipts: ReadonlyMap<string, ReadonlySet<string>>;
  /** The template sets by act (templates/sets/): renders every SMS with the set it follows. */
  readonly renderer: TemplateSets;
  readonly services: ServiceRegistry;
  readonly calendar: WorkingCalendar;
  /** Waiting conversations and SMS held for the sending window. */
  readonly holds: HoldIndex;
  /** When unsolicited notices may go out (SEND_WINDOW). */
  readonly window: SendWindow;
  readonly queuePrefix: string;
  readonly now: () => number;
  close(): Promise<void>;
}

/** Deadlines remembered per term and Almaty day: a day's worth of acceptances shares a few. */
const DEADLINES_KEPT = 256;

export function deadlineFrom(calendar: WorkingCalendar): DeadlineFn {
  const count = (spec: DeadlineSpec, at: Date): number => {
    if ('workingDays' in spec) return calendar.addWorkingDays(at, spec.workingDays).getTime();
    if ('calendarDays' in spec) return calendar.addCalendarDays(at, spec.calendarDays).getTime();
    return calendar.addMonths(at, spec.months).getTime();
  };
  // Every term counts from the Almaty day of its start (dialogue/calendar.ts), and the calendar
  // is frozen: one count per term and day instead of one per conversation.
  const known = new Map<string, number>();
  return (spec, now) => {
    const at = new Date(now);
    const day = Math.floor((now + offsetAt(calendar.zone, at) * 60_000) / 86_400_000);
    const term =
      'workingDays' in spec
        ? `w${spec.workingDays}`
        : 'calendarDays' in spec
          ? `c${spec.calendarDays}`
          : `m${spec.months}`;
    const key = `${term}@${day}`;
    let deadline = known.get(key);
    if (deadline === undefined) {
      deadline = count(spec, at);
      if (known.size >= DEADLINES_KEPT) known.clear();
      known.set(key, deadline);
    }
    return deadline;
  };
}

/** Every service has a set, every set of a service holds every template the service sends. */
function checkTemplates(services: ServiceRegistry, sets: TemplateSets): void {
  for (const service of services.values()) {
    const own = sets.sets.filter((set) => set.service === service.id);
    if (own.length === 0) {
      throw new GatewayError(
        'GW_TEMPLATE_INVALID',
        `services/${service.id}.json: no template set in templates/sets/ names service "${service.id}"`,
      );
    }
    for (const set of own) {
      const missing = templatesOf(service).filter((id) => !set.catalogue.entries.has(id));
      if (missing.length > 0) {
        throw new GatewayError(
          'GW_TEMPLATE_INVALID',
          `templates/${set.file}: misses template ${missing.join(', ')} that services/${service.id}.json sends`,
        );
      }
    }
  }
}

/** The templates' files, or one line naming the file at fault (GW_TEMPLATE_INVALID stops start-up). */
async function templatesOrFail<T>(load: Promise<T>): Promise<T> {
  try {
    return await load;
  } catch (error) {
    // A TemplateError names the file and the problem; a file that cannot be read says so itself.
    const message = error instanceof Error ? error.message.replace(/\s*\n\s*/g, ' ') : String(error);
    throw new GatewayError('GW_TEMPLATE_INVALID', message, undefined, { cause: error });
  }
}

export async function createCore(options: CoreOptions): Promise<Core> {
  const { redis, log } = options;
  const now = options.now ?? Date.now;
  const [services, renderer, samples, calendar] = await Promise.all([
    loadServices(),
    templatesOrFail(loadTemplateSets(options.templatesDir)),
    templatesOrFail(loadSamples()),
    loadCalendarFile(options.calendarFile ?? DEFAULT_CALENDAR_FILE, (p) => readFile(p, 'utf8')),
  ]);
  // Kurban Ait and the yearly transfers are data: say so when this year or the next has none.
  for (const warning of coverageWarnings(calendar, new Date(now()))) log.warn(warning);
  checkTemplates(services, renderer);
  const queuePrefix = options.queuePrefix ?? 'bull';
  const queueOpts = { connection: redis, prefix: queuePrefix };
  const queues: Queues = {
    assignments: new Queue(QUEUES.assignments, queueOpts),
    outcomes: new Queue(QUEUES.outcomes, {
      ...queueOpts,
      streams: { events: { maxLen: OUTCOME_EVENTS_MAX_LEN } },
    }),
    smsOut: new Queue(QUEUES.smsOut, queueOpts),
    inbound: new Queue(QUEUES.inbound, queueOpts),
  };
  // Without a listener BullMQ prints connection errors as raw stack traces; they belong in the log.
  for (const queue of Object.values(queues) as Queue[]) {
    queue.on('error', (err: Error) => {
      if (options.connections) options.connections.error(`queue ${queue.name}`, err);
      else log.warn({ queue: queue.name, err: err.message }, 'queue connection error');
    });
  }
  const deadline = deadlineFrom(calendar);
  const store = await ConversationStore.open(redis, {
    keyPrefix: options.keyPrefix ?? 'gw',
    retentionSeconds: (options.retentionDays ?? 90) * 86_400,
    dictionaries: storeDictionaries(renderer, samples, services),
    startDeadline: acceptanceStarter(services, deadline),
  });
  const sms = new SmsHandOver(queues.smsOut);
  const holds = store.holds;
  const window = options.sendWindow ?? (parseSendWindow(DEFAULT_SEND_WINDOW) as SendWindow);
  const outcomes = new OutcomeEmitter(queues.outcomes, store.outcomes);
  outcomes.listen((jobs) => {
    for (const job of jobs) {
      const { conversationId, service, outcome } = job;
      log.info({ event: 'outcome.published', conversationId, service, outcome }, 'outcome published');
    }
    return Promise.resolve();
  });
  const outbox = new Outbox({
    store,
    assignments: queues.assignments,
    sms,
    holds,
    now,
    log,
    outcomes,
    zone: calendar.zone,
    ...(options.handOverRetryMs ? { handOverRetryMs: options.handOverRetryMs } : {}),
  });
  const { campaigns, stateCounts } = store;
  const worklists = new Worklists(store.worklists, calendar, log, now, store);
  const carriers = options.carriers ?? [];
  const carrierMemory =
    carriers.length > 1 ? store.carrierMemory((options.carrierMemoryDays ?? 30) * 86_400) : undefined;
  const receiptTimeoutHours = options.receiptTimeoutHours ?? 72;
  // Kept twice the timeout and a day, should no sweep run for a while.
  const awaitedReceipts = store.awaitedReceipts((2 * receiptTimeoutHours + 24) * 3600);
  const notSubscriberReceipts = new Map(
    carriers.map((c) => [c.id, new Set(c.notSubscriber?.receiptErr.map((e) => e.toLowerCase()) ?? [])]),
  );
  const conversations = new ConversationService({
    stateCounts,
    store,
    services,
    renderer,
    deadline,
    outbox,
    campaigns,
    holds,
    window,
    calendar,
    log,
    zone: calendar.zone,
    now,
    worklists,
  });
  return {
    conversations,
    store,
    outbox,
    queues,
    outcomes,
    sms,
    campaigns,
    stateCounts,
    worklists,
    carrierMemory,
    awaitedReceipts,
    receiptTimeoutMs: receiptTimeoutHours * 3600_000,
    notSubscriberReceipts,
    renderer,
    services,
    calendar,
    holds,
    window,
    queuePrefix,
    now,
    async close() {
      await Promise.all(Object.values(queues).map((q: Queue) => q.close()));
    },
  };
}
