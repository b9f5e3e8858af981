--[[
  Append timeline entries to an existing conversation without changing its state
  (delivery statuses, notes), keeping the conversation's TTL if it has one.

  KEYS[1]  conversation hash   KEYS[2]  timeline list
  ARGV[1 .. n]  timeline entries (JSON)

  Returns: 1 appended; 0 the conversation does not exist (expired or never was).
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
for i = 1, #ARGV do
  redis.call('RPUSH', KEYS[2], ARGV[i])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return 1
