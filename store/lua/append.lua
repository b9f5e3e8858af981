--[[
  Append timeline entries to an existing conversation without changing its state
  (delivery statuses, notes), keeping the conversation's TTL if it has one.

  KEYS[1]  conversation (string; a hash before)
  KEYS[2]  timeline: a string of entries each prefixed by its length (2 bytes, big-endian);
           a list before (store/lua/commit.lua), which keeps being pushed to
  ARGV[1 .. n]  timeline entries, length-prefixed

  Returns: 1 appended; 0 the conversation does not exist (expired or never was).
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
if redis.call('TYPE', KEYS[2]).ok == 'list' then
  for i = 1, #ARGV do
    redis.call('RPUSH', KEYS[2], string.sub(ARGV[i], 3))
  end
else
  -- GET and SET rather than APPEND: APPEND leaves up to as much free space as the value.
  redis.call('SET', KEYS[2], (redis.call('GET', KEYS[2]) or '') .. table.concat(ARGV))
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return 1
