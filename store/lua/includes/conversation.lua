--[[
  The stored conversation string (docs/storage.md): tag 0x01, version (u32), the doc's length
  (u32), the outcomes it has had (u16, one bit each: store/conversation-format.ts
  `OUTCOME_MARKS`), the doc, then the timeline entries, each after its length (u16). The one
  place Lua reads this layout (store/conversation-format.ts `splitConversation` is its TypeScript
  side).
]]
local CONVERSATION_TAG = 0x01
-- The head's length, and where (1-based) its outcomes' two bytes are.
local HEAD_BYTES = 11
local OUTCOMES_AT = 10
-- A timeline entry's tag: the compact sent entry (store/sent-entry.ts), the receipt run
-- (store/receipt-entry.ts).
local SENT_ENTRY_TAG = 0x1b
local RECEIPT_RUN_TAG = 0x1d

-- The version of a stored conversation, where its timeline starts (its first entry's length
-- prefix) and its outcomes' bits; an error reply for a value of another format.
local function conversationHead(value)
  if string.byte(value, 1) ~= CONVERSATION_TAG then
    return redis.error_reply('GW_STORE_FORMAT stored conversation has an unknown format tag')
  end
  local version, docLength, outcomes = struct.unpack('>I4>I4>I2', value, 2)
  return version, HEAD_BYTES + 1 + docLength, outcomes
end
