/**
 * Keeps the call centre's worklists (store/worklists.ts) as facts happen: a reply not
 * understood, an SMS the carrier could not deliver. A list is help for people, not a record: a
 * failed write is logged and the step it follows stands. The deadlines ending on a day are read
 * from the deadline index itself (store/deadlines.ts), which holds every open deadline already.
 */
import type { WorkingCalendar } from '../../dialogue/calendar.js';
import type { Conversation } from '../../dialogue/conversation.js';
import { addDays, startOfLocalDay } from '../../dialogue/time.js';
import type { ConversationStore, TimelineEntry } from '../../store/conversations.js';
import { DEADLINE_BUCKETS, type DeadlinePosition } from '../../store/deadlines.js';
import type { WorklistKind, WorklistStore } from '../../store/worklists.js';
import type { Logger } from '../log.js';
import { isTestId } from './test-traffic.js';

/**
 * SMS whose failure loses the citizen nothing: the "no open request" answer to a reply after the
 * request was answered, decided or found undeliverable (CONTRACT.md, "Replies that match no open
 * conversation"). Its failure stays in the timeline and is counted, but puts no conversation on the
 * undelivered worklist: the agents' list is for SMS a citizen needed.
 */
export const COURTESY_TEMPLATES: ReadonlySet<string> = new Set(['gateway.no-open-request']);

/** What a failed SMS did to the undelivered worklist. */
export type FailedSmsListing = 'listed' | 'courtesy' | 'not-listed';

/** Deadlines of the index one page of a deadline list looks at, at most (a bounded request). */
const DEADLINE_PAGE_ENTRIES = 20_000;

export class Worklists {
  constructor(
    readonly store: WorklistStore,
    private readonly calendar: WorkingCalendar,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly conversations: Pick<ConversationStore, 'deadlines' | 'getMany'>,
  ) {}

  /**
   * A page of the open conversations of `services` whose deadline's last minute falls on the
   * Almaty `day`, read bucket by bucket from the deadline index. The cursor is
   * `<bucket>.<offset>`; a malformed one starts from the beginning. A page reads a bounded part of
   * the index, so it may hold fewer than `limit` (even none) with a cursor to go on from.
   */
  async deadlines(
    day: string,
    services: readonly string[],
    cursor: string | undefined,
    limit: number,
  ): Promise<{ conversations: Conversation[]; next: string | null }> {
    // A deadline is exclusive (00:00 of the next day): that of a day is after its start, at or
    // before the next day's.
    const after = startOfLocalDay(this.calendar.zone, day).getTime();
    const upTo = startOfLocalDay(this.calendar.zone, addDays(day, 1)).getTime();
    const now = this.now();
    const m = /^(\d{1,4})\.(\d{1,9})$/.exec(cursor ?? '');
    let at: DeadlinePosition | null =
      m && Number(m[1]) < DEADLINE_BUCKETS
        ? { bucket: Number(m[1]), offset: Number(m[2]) }
        : { bucket: 0, offset: 0 };
    let budget = DEADLINE_PAGE_ENTRIES;
    const conversations: Conversation[] = [];
    while (at !== null && budget > 0 && conversations.length < limit) {
      const page = await this.conversations.deadlines.page(
        after,
        upTo,
        at,
        limit - conversations.length,
        budget,
      );
      budget -= Math.max(1, page.examined);
      const ids = page.ids.filter((id) => !isTestId(id));
      for (const c of await this.conversations.getMany(ids)) {
        const belongs = c.deadline !== null && c.deadline > Math.max(now, after) && c.deadline <= upTo;
        if (belongs && services.includes(c.service)) conversations.push(c);
      }
      at = page.next;
    }
    return { conversations, next: at === null ? null : `${at.bucket}.${at.offset}` };
  }

  /** The Almaty day of an instant (epoch ms). */
  day(at: number): string {
    return this.calendar.toAlmaty(new Date(at)).date;
  }

  private async add(kind: WorklistKind, conv: Conversation, day: string, at: number): Promise<void> {
    await this.store.add(kind, conv.service, day, conv.id, at, this.now()).catch((err: unknown) => {
      this.log.warn({ err, conversationId: conv.id, worklist: kind }, 'worklist not updated');
    });
  }

  /** After a committed step: its replies not understood, its end as undeliverable. */
  async committed(
    before: Conversation,
    after: Conversation,
    timeline: readonly TimelineEntry[],
    now: number,
  ) {
    const writes: Promise<void>[] = [];
    if (timeline.some((e) => e.kind === 'reply' && e.accepted === false)) {
      writes.push(this.add('not-understood', after, this.day(now), now));
    }
    if (after.state === 'undeliverable' && before.state !== 'undeliverable') {
      writes.push(this.add('undelivered', after, this.day(now), now));
    }
    await Promise.all(writes);
  }

  /** A delivery receipt said failed (any SMS of the conversation, not only the invitation). */
  async undelivered(conv: Conversation, at: number): Promise<void> {
    await this.add('undelivered', conv, this.day(at), at);
  }

  /**
   * An SMS of `conv` failed (refused by the SMSC for good, or a receipt said failed): the conversation
   * goes on the undelivered list unless the SMS was a courtesy ({@link COURTESY_TEMPLATES}) or the
   * conversation is a test key's (the call centre calls citizens, not an integrator's test numbers).
   * A template that cannot be told (null) counts as one the citizen needed.
   */
  async smsFailed(
    conv: Conversation | null,
    templateId: string | null,
    at: number,
  ): Promise<FailedSmsListing> {
    if (conv === null || isTestId(conv.id)) return 'not-listed';
    if (templateId !== null && COURTESY_TEMPLATES.has(templateId)) return 'courtesy';
    await this.undelivered(conv, at);
    return 'listed';
  }
}
