/**
 * Every Redis key the gateway writes, in one place (as BullMQ's queue-keys.ts).
 *
 * DO NOT CHANGE THE KEY SHAPES: they are a persisted format; a change strands
 * every open conversation. Add new keys instead.
 *
 * Hash tags `{…}` put all keys of one conversation (its document, timeline and
 * outbox) in one Cluster slot, so its Lua transition runs on Redis Cluster.
 * Indices keyed by MSISDN share the MSISDN's slot.
 */
export interface Keys {
  /**
   * String: the format tag (0x01), the version and the length of the doc (4 bytes each,
   * big-endian), the outcomes handed over (2 bytes), the packed conversation JSON, then the
   * timeline entries, each after its length (2 bytes), oldest first (docs/storage.md;
   * store/lua/commit-2.lua).
   */
  conversation(id: string): string;
  /** List of side effects committed but not yet handed to BullMQ (the transactional outbox). */
  outbox(id: string): string;
  /** Set of conversation ids whose outbox may be non-empty: the recovery sweeper's work list. */
  outboxIndex(): string;
  /**
   * Hash: the outbox entries of the steps one `commitMany` call wrote (store/lua/commit-many-n.lua),
   * field `<conversation id>:<version>` → that step's entries (a JSON array), until handed over.
   */
  outboxBatch(batch: string): string;
  /** Sorted set: the batches with entries left, scored by when they were written (Redis's clock, ms). */
  outboxBatches(): string;
  /**
   * Hash: the recovery's failed hand-overs in a row of one item (a conversation's outbox, or a
   * batch's step `<batch>/<field>`), for reasons other than Redis being away: `v` (1), `since`
   * (epoch ms of the first), `tries`, `error` (the last one's message); expires a day after the last.
   */
  outboxFailing(item: string): string;
  /**
   * Hash: conversation id → why its outbox was set aside (JSON, store/outbox.ts `SetAside`): its
   * hand-over failed every try of the recovery; its entries wait in its outbox for an operator.
   */
  outboxDead(): string;
  /**
   * Sorted set: conversation ids of one MSISDN, scored by creation time, for a number with more
   * conversations than its field in `msisdnBucket` holds.
   */
  byMsisdn(msisdn: string): string;
  /** Hash: MSISDN → its conversation ids, for the numbers whose hash falls in `bucket` (store/msisdn-index.ts). */
  msisdnBucket(bucket: number): string;
  /**
   * Hash: externalId → conversation id, for the externalIds of one service whose hash falls in
   * `bucket` (store/external-ids.ts) — invitations are idempotent on it.
   */
  externalIds(service: string, bucket: number): string;
  /** Hash: conversation id → deadline (epoch ms), for the ids whose hash falls in `bucket`. */
  deadlineBucket(bucket: number): string;
  /** What every deadline bucket's key begins with (the bucket's number follows). */
  deadlineBucketPrefix(): string;
  /**
   * Sorted set: deadline bucket numbers, each scored at or before the earliest deadline it holds (a
   * lower bound: store/lua/includes/deadline.lua; a claim sets it exact).
   */
  deadlineBuckets(): string;
  /** Counter: SMS a citizen's SMS caused, of one template, to one number on one day (reply-limits.ts). */
  replySms(msisdn: string, templateId: string, day: number): string;
  /** Hash: a conversation's unaccepted replies per day and those folded into a count. */
  replyFold(conversationId: string): string;
  /** Hash: the replies of a number taken lately, and when the last was (store/lua/reply-seen-2.lua). */
  replySeen(msisdn: string): string;
  /** Hash: parts of a multipart reply being reassembled. */
  replyParts(msisdn: string, ref: string): string;
  /**
   * Hash: part ids scoped by carrier → the part's link (store/receipts.ts `linkValue`), one per
   * carrier, bucket (hash of the id) and day (epoch day); expires with the receipt window.
   */
  receiptBucket(carrier: string, bucket: number, day: number): string;
  /** String: the record of one outgoing SMS while it is sent (store/sms-record.ts). */
  smsParts(conversationId: string, smsId: string): string;
  /** List: the audit log of agent lookups and unmaskings. */
  audit(): string;
  /** Hash: progress counters of one campaign (queued, sent, delivered, replied, consented). */
  campaign(id: string): string;
  /** Sorted set: campaign ids scored by their last counter update (epoch ms), for /metrics. */
  campaigns(): string;
  /** Hash: a campaign's pace (`perMinute`), `paused` and the `next` free send time (store/campaigns.ts). */
  campaignPace(id: string): string;
  /**
   * Hash: conversation id → `<state> <carrier>` for a campaign's conversations not yet ended for
   * good, so its counts per carrier move with them (store/lua/campaign-move-2.lua).
   */
  campaignMembers(id: string): string;
  /**
   * String, on Cluster: the invitation SMS of a conversation whose campaign `sent` count is owed (the
   * epoch hour it was first written in), from just before its sent write until that count is written
   * (store/sent-records.ts). Kept with the conversation (its slot), 2 days at most.
   */
  campaignSentOwed(conversationId: string, smsId: string): string;
  /**
   * Set, on Cluster: `<conversation id> <smsId>` of the invitations counted in a campaign's `sent`
   * in one epoch hour, so that a count written again counts once (store/lua/campaign-sent-2.lua).
   */
  campaignCounted(id: string, hour: number): string;
  /** Hash: `service state` → conversations in that state (store/state-counts.ts), for /metrics. */
  stateCounts(): string;
  /** Bytes: a deflate dictionary for stored SMS texts, by content hash (store/text-codec.ts). Never expires. */
  dictionary(id: string): string;
  /** String with a TTL: the carrier learned for this MSISDN (store/carriers.ts). */
  learnedCarrier(msisdn: string): string;
  /** List: `conversationId smsId` of the SMS sent in one hour (epoch hour) that await a final receipt. */
  awaitingReceipt(hour: number): string;
  /** Sorted set: the hours (score and member) that have SMS awaiting a final receipt. */
  awaitingHours(): string;
  /** Hash: SHA-256 (hex) of a person's API key → its record (store/api-keys.ts); never the key itself. */
  personKeys(): string;
  /** Hash: key id → SHA-256 (hex) of that key, to list and revoke by id. */
  personKeyIds(): string;
  /** Sorted set: `waiting` conversation ids scored by when to try sending them (store/holds.ts). */
  waiting(): string;
  /** Sorted set: unsolicited SMS held for the sending window (their sms-out job), scored by its opening. */
  heldSms(): string;
  /** String with a short TTL: the lock under which one number's codeless turn is decided. */
  turnLock(msisdn: string): string;
  /**
   * Sorted set: conversation ids of one service on one worklist of one Almaty day (YYYY-MM-DD),
   * scored by time (store/worklists.ts); expires two days after that day.
   */
  worklist(list: string, service: string, day: string): string;
}

export function createKeys(prefix = 'gw'): Keys {
  return {
    conversation: (id) => `${prefix}:{c:${id}}`,
    outbox: (id) => `${prefix}:{c:${id}}:out`,
    outboxIndex: () => `${prefix}:{outbox}`,
    outboxBatch: (batch) => `${prefix}:{outbox}:b:${batch}`,
    outboxBatches: () => `${prefix}:{outbox}:batches`,
    outboxFailing: (item) => `${prefix}:{outbox}:failing:${item}`,
    outboxDead: () => `${prefix}:{outbox}:dead`,
    byMsisdn: (msisdn) => `${prefix}:{m:${msisdn}}:convs`,
    msisdnBucket: (bucket) => `${prefix}:{mb:${bucket}}`,
    externalIds: (service, bucket) => `${prefix}:{xb:${service}:${bucket}}`,
    deadlineBucket: (bucket) => `${prefix}:{deadlines}:${bucket}`,
    deadlineBucketPrefix: () => `${prefix}:{deadlines}:`,
    deadlineBuckets: () => `${prefix}:{deadlines}:due`,
    replySms: (msisdn, templateId, day) => `${prefix}:{m:${msisdn}}:rs:${templateId}:${day}`,
    replyFold: (conversationId) => `${prefix}:{c:${conversationId}}:fold`,
    replyParts: (msisdn, ref) => `${prefix}:{m:${msisdn}}:mp:${ref}`,
    replySeen: (msisdn) => `${prefix}:{m:${msisdn}}:seen`,
    receiptBucket: (carrier, bucket, day) => `${prefix}:{r:${carrier}:${bucket}}:${day}`,
    smsParts: (conversationId, smsId) => `${prefix}:{c:${conversationId}}:sms:${smsId}`,
    audit: () => `${prefix}:{audit}`,
    dictionary: (id) => `${prefix}:{dict}:${id}`,
    campaign: (id) => `${prefix}:{k:${id}}`,
    campaigns: () => `${prefix}:{campaigns}`,
    campaignPace: (id) => `${prefix}:{k:${id}}:pace`,
    campaignMembers: (id) => `${prefix}:{k:${id}}:members`,
    campaignSentOwed: (conversationId, smsId) => `${prefix}:{c:${conversationId}}:cs:${smsId}`,
    campaignCounted: (id, hour) => `${prefix}:{k:${id}}:counted:${hour}`,
    stateCounts: () => `${prefix}:{stats}:states`,
    learnedCarrier: (msisdn) => `${prefix}:{m:${msisdn}}:carrier`,
    awaitingReceipt: (hour) => `${prefix}:{aw:${hour}}`,
    awaitingHours: () => `${prefix}:{aw}`,
    personKeys: () => `${prefix}:{keys}`,
    personKeyIds: () => `${prefix}:{keys}:ids`,
    waiting: () => `${prefix}:{waiting}`,
    heldSms: () => `${prefix}:{held}`,
    turnLock: (msisdn) => `${prefix}:{m:${msisdn}}:turn`,
    worklist: (list, service, day) => `${prefix}:{wl:${list}:${service}:${day}}`,
  };
}
