--[[
  Record SMS the SMSC accepted, all those of one event-loop turn in one call
  (store/sent-records.ts; on Cluster one call per SMS, without links, as the
  keys of several SMS lie in many slots).
  Per SMS: its `sms-status` sent entry appended to the conversation as store/lua/append-1.lua
  appends an entry that merges with none (a sent entry, 0x1B, never does), and its record
  (keys.smsParts) deleted: the compact entry in a conversation string marks it sent from then on
  (store/lua/claim-n.lua). The record is marked sent instead, for 7 days, when there is no such
  entry to find (a conversation gone, an entry too large for the compact form, an SMS without a
  conversation). Every part's receipt link first (store/lua/link-n.lua). Then what the SMS add to
  the progress: each in its hour's list of SMS awaiting a final receipt (store/awaited-receipts.ts)
  and the campaigns' `sent` counts (store/campaigns.ts), in the same call so that a process stopped
  after it loses neither and a retried job, finding the SMS sent, writes neither again. One script
  call instead of two commands per SMS, one for the links and five for the progress
  (docs/performance.md). And the deadlines the acceptances start, in the deadline index
  (includes/deadline.lua): each only while its conversation is at the version the sender decided
  it from, so no step written since has moved its stage; the conversation's readers start it from
  the sent entry (store/conversations.ts), and a deadline not indexed here is started by the
  sender's `sent` step.

  KEYS[2i-1 .. 2i]  conversation and record of SMS i = 1 .. n
  KEYS[2n+j]        receipt bucket of link j = 1 .. l
  then, when a > 0  the hour's list of awaited SMS, the sorted set of such hours
  then, when d > 0  the deadline index of buckets, then the bucket of deadline j = 1 .. d
  then, when m > 0  the sorted set of campaigns, then each campaign's counters k = 1 .. m
  ARGV[1]           n
  ARGV[2], ARGV[3]  TTL of the records, TTL of the buckets (seconds)
  ARGV[4]           the values, each after its length (4 bytes, big-endian): for each run of
                    links with one value (the parts of one SMS: their conversation's reference,
                    sent once per SMS) the value, how many links (decimal), then each link's
                    field; for each SMS its record value and its timeline entry (after the
                    entry's own 2-byte length), then each awaited SMS's entry, then for each
                    deadline its SMS's number i, the conversation's version it was decided
                    from, the deadline (epoch ms), its bucket's number and the conversation id. One argument rather than one per value: ioredis's cost grows
                    with the number of arguments.
  ARGV[5], ARGV[6]  l, a
  ARGV[7], ARGV[8]  the hour (epoch hours), TTL of its list (seconds)
  ARGV[9]           when (epoch ms): the campaigns' score
  ARGV[10]          d
  ARGV[9+2k .. 10+2k]  campaign k's id and how many it sent, k = 1 .. m

  Returns: per SMS the outcomes' bits its conversation has handed over (-1: no conversation), then
  per deadline 1 indexed, 0 not (its conversation moved on or is gone).

  The same call sent again after its answer was lost (Redis ran it, the connection died before
  the answer; the client sends a call it had no answer to again once it reconnects) finds its
  first SMS's exact entry already in its conversation (or, with no conversation, its record
  already holding its value): it answers as the first run did and writes nothing twice (no second
  timeline entry, awaited entry or campaign count). A script runs whole or not at all, so the
  first SMS tells for the call.
]]
--- @include "conversation"
--- @include "deadline"
local n = tonumber(ARGV[1])
local links, awaited, deadlines = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[10])
local results, versions = {}, {}
local blob = ARGV[4]
local pos = 1
local function nextValue()
  local length = struct.unpack('>I4', blob, pos)
  local value = string.sub(blob, pos + 4, pos + 3 + length)
  pos = pos + 4 + length
  return value
end
-- The links first: a script cut short (out of memory) must not leave an SMS marked sent whose
-- receipts cannot find it.
-- A bucket's TTL ends where its day's window does (store/receipts.ts `plan`), the same for every
-- link it takes: set once, by the first link (NX), and once per bucket in a call.
local expiring = {}
local j = 0
while j < links do
  -- A run of links with one value (the parts of one SMS): the value, their count, their fields.
  local value, count = nextValue(), tonumber(nextValue())
  for _ = 1, count do
    j = j + 1
    local key = KEYS[2 * n + j]
    redis.call('HSET', key, nextValue(), value)
    if not expiring[key] then
      expiring[key] = true
      redis.call('EXPIRE', key, ARGV[3], 'NX')
    end
  end
end
local again = false
for i = 1, n do
  local conversation, record = KEYS[2 * i - 1], KEYS[2 * i]
  local recordValue, entry = nextValue(), nextValue()
  local value = redis.call('GET', conversation)
  if i == 1 then
    if value then
      again = string.find(value, entry, 1, true) ~= nil
    else
      again = redis.call('GET', record) == recordValue
    end
  end
  results[i] = -1
  if value then
    -- GET and SET rather than APPEND: APPEND leaves up to as much free space as the value holds.
    if not again then
      redis.call('SET', conversation, value .. entry, 'KEEPTTL')
    end
    if string.byte(value, 1) == CONVERSATION_TAG and #value >= HEAD_BYTES then
      results[i] = struct.unpack('>I2', value, OUTCOMES_AT)
      -- A deadline starts from the compact sent entry only (store/conversations.ts reads it).
      if string.byte(entry, 3) == SENT_ENTRY_TAG then
        versions[i] = struct.unpack('>I4', value, 2)
      end
    end
  end
  -- After the entry: a script cut short must not leave an SMS neither recorded nor in the timeline.
  if again then
    -- Written by the first run: the record deleted, or set as below.
  elseif value and string.byte(entry, 3) == SENT_ENTRY_TAG then
    -- The compact sent entry is the SMS's mark from now on (store/lua/claim-n.lua finds it).
    redis.call('DEL', record)
  else
    redis.call('SET', record, recordValue, 'EX', ARGV[2])
  end
end
local k = 2 * n + links
if awaited > 0 then
  local list, hours = KEYS[k + 1], KEYS[k + 2]
  local members = {}
  for i = 1, awaited do
    members[i] = nextValue()
  end
  if not again then
    redis.call('RPUSH', list, unpack(members))
    redis.call('EXPIRE', list, ARGV[8])
    redis.call('ZADD', hours, ARGV[7], ARGV[7])
  end
  k = k + 2
end
if deadlines > 0 then
  local index = KEYS[k + 1]
  for j = 1, deadlines do
    local i, version, at, bucket, id = tonumber(nextValue()), tonumber(nextValue()), nextValue(), nextValue(), nextValue()
    local indexed = versions[i] == version
    if indexed then
      setDeadline(KEYS[k + 1 + j], index, id, at, bucket)
    end
    results[n + j] = indexed and 1 or 0
  end
  k = k + 1 + deadlines
end
if #KEYS > k and not again then
  local campaigns = KEYS[k + 1]
  for c = 1, #KEYS - k - 1 do
    local id, sent = ARGV[9 + 2 * c], ARGV[10 + 2 * c]
    -- The field `sent` is a persisted name (store/campaigns.ts CAMPAIGN_FIELDS).
    redis.call('HINCRBY', KEYS[k + 1 + c], 'sent', sent)
    redis.call('ZADD', campaigns, ARGV[9], id)
  end
end
return results
