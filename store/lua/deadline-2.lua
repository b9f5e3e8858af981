--[[
  Set or clear the deadline of one conversation (store/deadlines.ts): a field of its bucket,
  and the bucket's earliest deadline in the index of buckets, kept exact so the sweeper reads
  only buckets that hold a due deadline.

  KEYS[1]  the conversation's bucket (hash: id → deadline, epoch ms)
  KEYS[2]  the index of buckets (sorted set: bucket number → its earliest deadline)
  ARGV[1]  conversation id
  ARGV[2]  the deadline (epoch ms), or '' for none
  ARGV[3]  the bucket's number (its member in KEYS[2])

  Both keys share the `{deadlines}` hash tag (one Cluster slot).
  Returns: 1.
]]
local old = redis.call('HGET', KEYS[1], ARGV[1])
local at = tonumber(ARGV[2])
if at then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
elseif old then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  return 1
end
old = tonumber(old)
local earliest = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[3]))
if earliest and (at == nil or at > earliest) and (old == nil or old > earliest) then
  return 1 -- the bucket's earliest is another id's, unchanged
end
if earliest and at and at <= earliest then
  redis.call('ZADD', KEYS[2], at, ARGV[3])
  return 1
end
-- The earliest moved later or left (or the index lacks the bucket): find it again.
earliest = nil
for _, value in ipairs(redis.call('HVALS', KEYS[1])) do
  local v = tonumber(value)
  if earliest == nil or v < earliest then
    earliest = v
  end
end
if earliest then
  redis.call('ZADD', KEYS[2], earliest, ARGV[3])
else
  redis.call('ZREM', KEYS[2], ARGV[3])
end
return 1
