--[[
  Steps of a batch (store/lua/commit-many-n.lua) handed over: their fields leave the batch's outbox,
  the outcomes just handed to the `outcomes` queue are marked in each conversation's head
  (includes/outcome-mark.lua; the caller calls this once the queue has them), and the batch leaves
  the recovery index once its outbox is empty. The keys lie in many slots: single Redis only.

  KEYS[1]     the batches with entries left (sorted set)
  KEYS[2]     the batch's outbox (hash)
  KEYS[2+i]   the conversation of step i (from 1): its head holds the outcomes' marks
  ARGV[1]     the batch (its member in KEYS[1])
  then per step: its field, the outcomes' bits to mark (0 none)

  Returns: the fields left in the batch.
]]
--- @include "outcome-mark"
for i = 1, #KEYS - 2 do
  local field, bits = ARGV[2 * i], tonumber(ARGV[2 * i + 1])
  if bits ~= 0 then
    local marked = markOutcomes(KEYS[2 + i], bits)
    if type(marked) == 'table' then
      return marked
    end
  end
  redis.call('HDEL', KEYS[2], field)
end
local left = redis.call('HLEN', KEYS[2])
if left == 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
end
return left
