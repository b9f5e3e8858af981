--[[
  Add a conversation id to its number's field in an MSISDN bucket (store/msisdn-index.ts).

  KEYS[1]  the bucket (keys.msisdnBucket)
  KEYS[2]  the number's sorted set (keys.byMsisdn), on a single Redis only (its slot is another
           than the bucket's): when it exists the id goes there, as the number's next ones do
  ARGV[1]  the MSISDN (the field)
  ARGV[2]  the conversation id
  ARGV[3]  the longest value the field may hold (bytes): Redis's `hash-max-listpack-value`
  ARGV[4]  the id's score in the sorted set (when the conversation was created, epoch ms)

  Returns: nil when the id is in the field (added now, or already) or in the sorted set;
  otherwise what the field holds ('' for none), and nothing is written: the caller moves the
  number to its sorted set.
]]
if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[2])
  return nil
end
local value = redis.call('HGET', KEYS[1], ARGV[1])
local limit = tonumber(ARGV[3])
if value then
  for existing in string.gmatch(value, '%S+') do
    if existing == ARGV[2] then
      return nil
    end
  end
  local longer = value .. ' ' .. ARGV[2]
  if #longer > limit then
    return value
  end
  redis.call('HSET', KEYS[1], ARGV[1], longer)
  return nil
end
if #ARGV[2] > limit then
  return ''
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return nil
