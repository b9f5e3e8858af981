--[[
  Set or clear the deadline of one conversation in the deadline index (store/deadlines.ts): a
  field of its bucket, and in the index of buckets a score at or before the bucket's earliest
  deadline (a lower bound), so the sweeper reads every bucket that holds a due deadline. A new
  deadline lowers that score if it is earlier (`ZADD LT`); one moved later or cleared leaves it as
  it was, and the next claim that reads the bucket (claim-due-1.lua) sets it exact. Nothing here
  reads the bucket: with millions of open conversations a bucket holds thousands of deadlines.
  Both keys share the `{deadlines}` hash tag (one Cluster slot).
]]
-- bucketKey: the conversation's bucket (hash: id → deadline, epoch ms); indexKey: the index of
-- buckets (sorted set: bucket number → at most its earliest deadline); at: the deadline (epoch
-- ms, a string), or '' for none; bucket: the bucket's number (its member in the index).
local function setDeadline(bucketKey, indexKey, id, at, bucket)
  if at == '' then
    redis.call('HDEL', bucketKey, id)
    return
  end
  redis.call('HSET', bucketKey, id, at)
  redis.call('ZADD', indexKey, 'LT', at, bucket)
end
