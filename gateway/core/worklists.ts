/**
 * Keeps the call centre's worklists (store/worklists.ts) as facts happen: a deadline set, a
 * reply not understood, an SMS the carrier could not deliver. A list is help for people, not a
 * record: a failed write is logged and the step it follows stands.
 */
import type { WorkingCalendar } from '../../dialogue/calendar.js';
import type { Conversation } from '../../dialogue/conversation.js';
import type { TimelineEntry } from '../../store/conversations.js';
import type { WorklistKind, WorklistStore } from '../../store/worklists.js';
import type { Logger } from '../log.js';

export class Worklists {
  constructor(
    readonly store: WorklistStore,
    private readonly calendar: WorkingCalendar,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  /** The Almaty day of an instant (epoch ms). */
  day(at: number): string {
    return this.calendar.toAlmaty(new Date(at)).date;
  }

  private async add(kind: WorklistKind, conv: Conversation, day: string, at: number): Promise<void> {
    await this.store.add(kind, conv.service, day, conv.id, at, this.now()).catch((err: unknown) => {
      this.log.warn({ err, conversationId: conv.id, worklist: kind }, 'worklist not updated');
    });
  }

  /** After a committed step: its deadline's last day, its replies not understood, its end as undeliverable. */
  async committed(
    before: Conversation,
    after: Conversation,
    timeline: readonly TimelineEntry[],
    now: number,
  ) {
    const writes: Promise<void>[] = [];
    if (after.deadline !== null && after.deadline !== before.deadline) {
      // A deadline is exclusive (00:00 of the next day): the list is that of its last minute.
      writes.push(this.add('deadlines', after, this.day(after.deadline - 1), after.deadline));
    }
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
}
