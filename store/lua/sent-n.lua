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
  (docs/performance.md).

  KEYS[2i-1 .. 2i]  conversation and record of SMS i = 1 .. n
  KEYS[2n+j]        receipt bucket of link j = 1 .. l
  then, when a > 0  the hour's list of awaited SMS, the sorted set of such hours
  then, when m > 0  the sorted set of campaigns, then each campaign's counters k = 1 .. m
  ARGV[1]           n
  ARGV[2], ARGV[3]  TTL of the records, TTL of the buckets (seconds)
  ARGV[4]           the values, each after its length (4 bytes, big-endian): for each link its
                    field and value, for each SMS its record value and its timeline entry
                    (after the entry's own 2-byte length), then each awaited SMS's entry. One
                    argument rather than one per value: ioredis's cost grows with the number of
                    arguments.
  ARGV[5], ARGV[6]  l, a
  ARGV[7], ARGV[8]  the hour (epoch hours), TTL of its list (seconds)
  ARGV[9]           when (epoch ms): the campaigns' score
  ARGV[8+2k .. 9+2k]  campaign k's id and how many it sent, k = 1 .. m

  Returns: n.
]]
--- @include "conversation"
local n = tonumber(ARGV[1])
local links, awaited = tonumber(ARGV[5]), tonumber(ARGV[6])
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
for j = 1, links do
  local key = KEYS[2 * n + j]
  redis.call('HSET', key, nextValue(), nextValue())
  redis.call('EXPIRE', key, ARGV[3])
end
for i = 1, n do
  local conversation, record = KEYS[2 * i - 1], KEYS[2 * i]
  local recordValue, entry = nextValue(), nextValue()
  local value = redis.call('GET', conversation)
  if value then
    -- GET and SET rather than APPEND: APPEND leaves up to as much free space as the value holds.
    redis.call('SET', conversation, value .. entry, 'KEEPTTL')
  end
  -- After the entry: a script cut short must not leave an SMS neither recorded nor in the timeline.
  if value and string.byte(entry, 3) == SENT_ENTRY_TAG then
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
  redis.call('RPUSH', list, unpack(members))
  redis.call('EXPIRE', list, ARGV[8])
  redis.call('ZADD', hours, ARGV[7], ARGV[7])
  k = k + 2
end
if #KEYS > k then
  local campaigns = KEYS[k + 1]
  for c = 1, #KEYS - k - 1 do
    local id, sent = ARGV[8 + 2 * c], ARGV[9 + 2 * c]
    -- The field `sent` is a persisted name (store/campaigns.ts CAMPAIGN_FIELDS).
    redis.call('HINCRBY', KEYS[k + 1 + c], 'sent', sent)
    redis.call('ZADD', campaigns, ARGV[9], id)
  end
end
return n
