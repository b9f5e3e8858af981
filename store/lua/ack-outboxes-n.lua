--[[
  Remove handled entries from the outboxes of many conversations in one call (store/outbox.ts
  `ackMany`; includes/outbox-ack.lua), and take each conversation whose outbox is left empty out
  of the recovery index. The keys lie in many slots: single Redis only.

  KEYS[1]     the outbox recovery index (set)
  KEYS[1+i]   the outbox of conversation i (from 1)
  ARGV[1]     the number of outboxes
  then per outbox: the conversation id, k, and the hex SHA-1 of each of its k handled entries

  Returns: how many outboxes are left empty.
]]
--- @include "outbox-ack"
local at = 2
local empty = 0
for i = 1, tonumber(ARGV[1]) do
  local id, k = ARGV[at], tonumber(ARGV[at + 1])
  if ackOutbox(KEYS[1 + i], ARGV, at + 2, at + 1 + k) == 0 then
    redis.call('SREM', KEYS[1], id)
    empty = empty + 1
  end
  at = at + 2 + k
end
return empty
