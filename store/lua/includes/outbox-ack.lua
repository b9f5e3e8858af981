--[[
  Remove handled entries from a conversation's outbox, named by the SHA-1 of their JSON (40 hex
  digits, whatever the entry's length) rather than sent back whole for LREM.
]]
-- key: the outbox list; args[from .. to]: hex SHA-1 of each entry to remove (twice for two equal
-- entries). Returns the number of entries left.
local function ackOutbox(key, args, from, to)
  local wanted = {}
  for i = from, to do
    wanted[args[i]] = (wanted[args[i]] or 0) + 1
  end
  for _, entry in ipairs(redis.call('LRANGE', key, 0, -1)) do
    local digest = redis.sha1hex(entry)
    if (wanted[digest] or 0) > 0 then
      wanted[digest] = wanted[digest] - 1
      redis.call('LREM', key, 1, entry)
    end
  end
  return redis.call('LLEN', key)
end
