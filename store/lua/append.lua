--[[
  Append timeline entries to an existing conversation without changing its state
  (delivery statuses, notes), keeping the conversation's TTL if it has one.

  KEYS[1]  conversation: one string, its timeline at the end (store/lua/commit.lua)
  KEYS[2]  timeline list of a conversation an earlier version stored as a hash
  ARGV[1 .. n]  timeline entries, each after its length (2 bytes, big-endian)

  Returns: 1 appended; 0 the conversation does not exist (expired or never was).
]]
local kind = redis.call('TYPE', KEYS[1]).ok
if kind == 'none' then
  return 0
end
if kind == 'hash' then
  for i = 1, #ARGV do
    redis.call('RPUSH', KEYS[2], string.sub(ARGV[i], 3))
  end
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then
    redis.call('PEXPIRE', KEYS[2], ttl)
  end
  return 1
end
-- GET and SET rather than APPEND: APPEND leaves up to as much free space as the value holds.
redis.call('SET', KEYS[1], redis.call('GET', KEYS[1]) .. table.concat(ARGV), 'KEEPTTL')
return 1
