--[[
  Remove handled entries from a conversation's outbox (store/outbox.ts `ack`),
  named by the SHA-1 of their JSON: an entry holds a whole SMS text, which the caller would
  otherwise send back for LREM (docs/performance.md).

  KEYS[1]  the outbox list
  ARGV     hex SHA-1 of each entry to remove (twice for two equal entries)

  Returns: the number of entries left.
]]
local wanted = {}
for i = 1, #ARGV do
  wanted[ARGV[i]] = (wanted[ARGV[i]] or 0) + 1
end
for _, entry in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local digest = redis.sha1hex(entry)
  if (wanted[digest] or 0) > 0 then
    wanted[digest] = wanted[digest] - 1
    redis.call('LREM', KEYS[1], 1, entry)
  end
end
return redis.call('LLEN', KEYS[1])
