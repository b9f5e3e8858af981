--[[
  Mark outcomes as handed to the `outcomes` queue in a conversation's head (store/outcome-marks.ts):
  the bits are OR-ed in place (SETRANGE: the string is not rewritten and keeps its TTL). Once
  marked, an outcome is never added again for as long as the conversation exists, whatever
  replays the outbox, the sender or the receipts make (gateway/core/outcomes.ts).

  KEYS[1]  conversation (one string: store/lua/includes/conversation.lua)
  ARGV[1]  the bits to set

  Returns: 1 a bit was new; 0 all were set already; -1 the conversation does not exist.
]]
--- @include "conversation"
local head = redis.call('GETRANGE', KEYS[1], 0, HEAD_BYTES - 1)
if #head < HEAD_BYTES then
  return -1
end
local version = conversationHead(head)
if type(version) == 'table' then
  return version
end
local marked = struct.unpack('>I2', head, OUTCOMES_AT)
local now = bit.bor(marked, tonumber(ARGV[1]))
if now == marked then
  return 0
end
redis.call('SETRANGE', KEYS[1], OUTCOMES_AT - 1, struct.pack('>I2', now))
return 1
