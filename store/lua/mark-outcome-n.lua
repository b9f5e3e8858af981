--[[
  Mark outcomes as handed to the `outcomes` queue in conversations' heads (store/outcome-marks.ts):
  the bits are OR-ed in place (SETRANGE: the string is not rewritten and keeps its TTL). Once
  marked, an outcome is never added again for as long as the conversation exists, whatever
  replays the outbox, the sender or the receipts make (gateway/core/outcomes.ts). All the
  outcomes of one hand-over in one call on a single Redis; on Cluster, where the conversations
  lie in many slots, one call per conversation.

  KEYS[i]  conversation i (one string: store/lua/includes/conversation.lua)
  ARGV[i]  the bits to set in it (0: only read them, store/outcome-marks.ts `marked`)

  Returns, per conversation: its bits before, or -1 when it does not exist.
]]
--- @include "conversation"
-- The outcomes' bits of the conversation at `key`, read from its head alone (-1: it does not
-- exist); an error reply for a value of another format.
local function outcomeBits(key)
  local head = redis.call('GETRANGE', key, 0, HEAD_BYTES - 1)
  if #head < HEAD_BYTES then
    return -1
  end
  local version, _, marked = conversationHead(head)
  if type(version) == 'table' then
    return version
  end
  return marked
end

local results = {}
for i, key in ipairs(KEYS) do
  local marked = outcomeBits(key)
  if type(marked) == 'table' then
    return marked
  end
  local now = bit.bor(marked, tonumber(ARGV[i]))
  if marked >= 0 and now ~= marked then
    redis.call('SETRANGE', key, OUTCOMES_AT - 1, struct.pack('>I2', now))
  end
  results[i] = marked
end
return results
