--[[
  Mark outcomes as handed to the `outcomes` queue in a conversation's head (store/outcome-marks.ts):
  the bits are OR-ed in place (SETRANGE: the string is not rewritten and keeps its TTL).
]]
--- @include "conversation"

-- key: the conversation; bits: the outcomes' bits to set. Returns 1 a bit was new, 0 all were
-- set already, -1 the conversation does not exist; an error reply for a value of another format.
local function markOutcomes(key, bits)
  local head = redis.call('GETRANGE', key, 0, HEAD_BYTES - 1)
  if #head < HEAD_BYTES then
    return -1
  end
  local version = conversationHead(head)
  if type(version) == 'table' then
    return version
  end
  local marked = struct.unpack('>I2', head, OUTCOMES_AT)
  local now = bit.bor(marked, bits)
  if now == marked then
    return 0
  end
  redis.call('SETRANGE', key, OUTCOMES_AT - 1, struct.pack('>I2', now))
  return 1
end
