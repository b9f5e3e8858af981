--[[
  Remove conversation ids from their number's field in an MSISDN bucket (store/msisdn-index.ts):
  ids whose conversations are gone, or that moved to the number's sorted set.

  KEYS[1]       the bucket (keys.msisdnBucket)
  ARGV[1]       the MSISDN (the field)
  ARGV[2 .. n]  the ids to remove

  Returns: how many ids the field still holds (0: the field is removed).
]]
local value = redis.call('HGET', KEYS[1], ARGV[1])
if not value then
  return 0
end
local drop = {}
for i = 2, #ARGV do
  drop[ARGV[i]] = true
end
local kept = {}
for id in string.gmatch(value, '%S+') do
  if not drop[id] then
    kept[#kept + 1] = id
  end
end
if #kept == 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], table.concat(kept, ' '))
end
return #kept
