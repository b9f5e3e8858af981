--[[
  Add a conversation id to its number's field in an MSISDN bucket (store/msisdn-index.ts), or to
  the number's sorted set when that exists (single Redis only: its slot is another than the
  bucket's).
]]
-- bucket: the MSISDN bucket (keys.msisdnBucket); set: the number's sorted set (keys.byMsisdn), or
-- nil on Cluster; msisdn: the field; id: the conversation id; limit: the longest value the field
-- may hold (bytes: Redis's `hash-max-listpack-value`); score: the id's score in the sorted set
-- (when the conversation was created, epoch ms). Returns nil when the id is in the field (added
-- now, or already) or in the sorted set; otherwise what the field holds ('' for none), and
-- nothing is written: the caller moves the number to its sorted set.
local function addToNumber(bucket, set, msisdn, id, limit, score)
  if set and redis.call('EXISTS', set) == 1 then
    redis.call('ZADD', set, score, id)
    return nil
  end
  local value = redis.call('HGET', bucket, msisdn)
  if value then
    for existing in string.gmatch(value, '%S+') do
      if existing == id then
        return nil
      end
    end
    local longer = value .. ' ' .. id
    if #longer > limit then
      return value
    end
    redis.call('HSET', bucket, msisdn, longer)
    return nil
  end
  if #id > limit then
    return ''
  end
  redis.call('HSET', bucket, msisdn, id)
  return nil
end
