--[[
  Remove handled entries from a conversation's outbox (store/outbox.ts `ack`;
  includes/outbox-ack.lua) and, on a single Redis, take the conversation out of the recovery
  index in the same call once its outbox is empty.

  KEYS[1]  the outbox list
  KEYS[2]  the outbox recovery index (set), on a single Redis only (its slot is another than the
           outbox's: on Cluster the caller removes the id itself)
  ARGV[1]  the conversation id (its member in KEYS[2])
  ARGV[2..] hex SHA-1 of each entry to remove (twice for two equal entries)

  Returns: the number of entries left.
]]
--- @include "outbox-ack"
local left = ackOutbox(KEYS[1], ARGV, 2, #ARGV)
if left == 0 and KEYS[2] then
  redis.call('SREM', KEYS[2], ARGV[1])
end
return left
