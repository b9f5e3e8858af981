--[[
  The stored conversation string (docs/storage.md): tag 0x01, version (u32), the doc's length
  (u32), the doc, then the timeline entries, each after its length (u16). The one place Lua
  reads this layout (store/conversation-format.ts `splitConversation` is its TypeScript side).
]]
local CONVERSATION_TAG = 0x01
-- A timeline entry's tag: the compact sent entry (store/sent-entry.ts), the receipt run
-- (store/receipt-entry.ts).
local SENT_ENTRY_TAG = 0x1b
local RECEIPT_RUN_TAG = 0x1d

-- The version of a stored conversation and where its timeline starts (its first entry's length
-- prefix); an error reply for a value of another format.
local function conversationHead(value)
  if string.byte(value, 1) ~= CONVERSATION_TAG then
    return redis.error_reply('GW_STORE_FORMAT stored conversation has an unknown format tag')
  end
  local version, docLength = struct.unpack('>I4>I4', value, 2)
  return version, 10 + docLength
end
