--[[
  Remove handled entries from a conversation's outbox (store/outbox.ts `ack`;
  includes/outbox-ack.lua).

  KEYS[1]  the outbox list
  ARGV     hex SHA-1 of each entry to remove (twice for two equal entries)

  Returns: the number of entries left.
]]
--- @include "outbox-ack"
return ackOutbox(KEYS[1], ARGV, 1, #ARGV)
