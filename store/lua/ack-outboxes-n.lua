--[[
  Remove handled entries from the outboxes of many conversations in one call (store/outbox.ts
  `ackMany`; includes/outbox-ack.lua), take each conversation whose outbox is left empty out
  of the recovery index, and mark the outcomes just handed to the `outcomes` queue in each
  conversation's head (includes/outcome-mark.lua): the caller calls it once the queue has them.
  The keys lie in many slots: single Redis only.

  KEYS[1]      the outbox recovery index (set)
  KEYS[2i]     the outbox of conversation i (from 1)
  KEYS[2i+1]   conversation i (its head holds the outcomes' marks)
  ARGV[1]      the number of outboxes
  then per outbox: the conversation id, the outcomes' bits to mark (0 none), k, and the hex
               SHA-1 of each of its k handled entries

  Returns: how many outboxes are left empty.
]]
--- @include "outbox-ack"
--- @include "outcome-mark"
local at = 2
local empty = 0
for i = 1, tonumber(ARGV[1]) do
  local id, bits, k = ARGV[at], tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
  if bits ~= 0 then
    local marked = markOutcomes(KEYS[2 * i + 1], bits)
    if type(marked) == 'table' then
      return marked
    end
  end
  if ackOutbox(KEYS[2 * i], ARGV, at + 3, at + 2 + k) == 0 then
    redis.call('SREM', KEYS[1], id)
    empty = empty + 1
  end
  at = at + 3 + k
end
return empty
