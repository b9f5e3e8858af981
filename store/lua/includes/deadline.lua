--[[
  Set or clear the deadline of one conversation in the deadline index (store/deadlines.ts): a
  field of its bucket, and the bucket's earliest deadline in the index of buckets, kept exact so
  the sweeper reads only buckets that hold a due deadline. Both keys share the `{deadlines}` hash
  tag (one Cluster slot).
]]
-- bucketKey: the conversation's bucket (hash: id → deadline, epoch ms); indexKey: the index of
-- buckets (sorted set: bucket number → its earliest deadline); at: the deadline (epoch ms, a
-- string), or '' for none; bucket: the bucket's number (its member in the index).
local function setDeadline(bucketKey, indexKey, id, at, bucket)
  local old = redis.call('HGET', bucketKey, id)
  local atMs = tonumber(at)
  if atMs then
    redis.call('HSET', bucketKey, id, at)
  elseif old then
    redis.call('HDEL', bucketKey, id)
  else
    return
  end
  old = tonumber(old)
  local earliest = tonumber(redis.call('ZSCORE', indexKey, bucket))
  if earliest and (atMs == nil or atMs > earliest) and (old == nil or old > earliest) then
    return -- the bucket's earliest is another id's, unchanged
  end
  if earliest and atMs and atMs <= earliest then
    redis.call('ZADD', indexKey, atMs, bucket)
    return
  end
  -- The earliest moved later or left (or the index lacks the bucket): find it again.
  earliest = nil
  for _, value in ipairs(redis.call('HVALS', bucketKey)) do
    local v = tonumber(value)
    if earliest == nil or v < earliest then
      earliest = v
    end
  end
  if earliest then
    redis.call('ZADD', indexKey, earliest, bucket)
  else
    redis.call('ZREM', indexKey, bucket)
  end
end
