/**
 * The steps committed in one event-loop turn, written in one call, and their outboxes handed over
 * in one (single Redis only: store `commitsInBatches`). Each step keeps its own compare-and-set
 * (store/lua/commit-many-n.lua); with it, in the same call, its outbox entries go to the batch's
 * outbox, its deadline to the deadline index and its state to the counts, and the hand-over's
 * removal of the entries marks their outcomes (outbox.ts `flushMany`): a reply decided costs a few
 * Redis commands instead of a dozen, and a round trip each, however many replies a turn decides.
 */
import DataLoader from 'dataloader';
import type { CommittedStep, ConversationStore, StepCommit } from '../../store/conversations.js';
import type { HandedStep, Outbox } from './outbox.js';

/** What a step's commit wrote: its outbox left to hand over and the outcomes marked so far; null when it lost. */
export type StepWritten = CommittedStep | null;

/**
 * Steps per call: a call holds Redis for its steps' scripts, and a turn of a busy worker brings
 * a few dozen.
 */
const STEPS_PER_CALL = 64;

/** After the I/O callbacks of this turn: the steps decided from the replies read together. */
const thisTurn = (callback: () => void): void => {
  setImmediate(callback);
};

export class StepBatches {
  private readonly commits: DataLoader<StepCommit, StepWritten>;
  private readonly handOvers: DataLoader<HandedStep, true>;

  constructor(store: Pick<ConversationStore, 'commitMany'>, outbox: Pick<Outbox, 'flushMany'>) {
    this.commits = new DataLoader<StepCommit, StepWritten>((steps) => store.commitMany(steps), {
      cache: false,
      maxBatchSize: STEPS_PER_CALL,
      batchScheduleFn: thisTurn,
    });
    this.handOvers = new DataLoader<HandedStep, true>(
      async (steps) => {
        // Replies decided together: their outcomes in one addBulk (outcomes.ts `add`).
        await outbox.flushMany(steps, 'bulk');
        return steps.map(() => true as const);
      },
      { cache: false, maxBatchSize: STEPS_PER_CALL, batchScheduleFn: thisTurn },
    );
  }

  /** Commits a step with the others of this turn; null when it lost its compare-and-set. */
  commit(step: StepCommit): Promise<StepWritten> {
    return this.commits.load(step);
  }

  /** Hands a committed step's outbox over with the others of this turn. */
  async handOver(step: HandedStep): Promise<void> {
    await this.handOvers.load(step);
  }
}
