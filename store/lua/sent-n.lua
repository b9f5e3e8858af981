--[[
  Record SMS the SMSC accepted, all those of one event-loop turn in one call
  (store/sent-records.ts; on Cluster one call per SMS, without links, as the
  keys of several SMS lie in many slots).
  Per SMS: its `sms-status` sent entry appended to the conversation as store/lua/append-1.lua
  appends an entry that merges with none (a sent entry, 0x1B, never does), and its record
  (keys.smsParts) deleted: the compact entry in a conversation string marks it sent from then on
  (store/lua/claim-n.lua). The record is marked sent instead, for 7 days, when there is no such
  entry to find (a conversation gone, an entry too large for the compact form, an SMS without a
  conversation). Every part's receipt link first (store/lua/link-n.lua). One script call instead of
  two commands per SMS and one for the links (docs/performance.md).

  KEYS[2i-1 .. 2i]  conversation and record of SMS i = 1 .. n
  KEYS[2n+j]        receipt bucket of link j
  ARGV[1]           n
  ARGV[2], ARGV[3]  TTL of the records, TTL of the buckets (seconds)
  ARGV[4]           the values, each after its length (4 bytes, big-endian): for each link its
                    field and value, then for each SMS its record value and its timeline entry
                    (after the entry's own 2-byte length). One argument rather than one per
                    value: ioredis's cost grows with the number of arguments.

  Returns: n.
]]
--- @include "conversation"
local n = tonumber(ARGV[1])
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
for j = 1, #KEYS - 2 * n do
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
return n
