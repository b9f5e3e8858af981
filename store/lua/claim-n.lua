--[[
  Claim the records of the SMS a job is about to send (store/sms-record.ts `SmsRecords.claim`):
  `SET NX GET` on each record, in one call rather than one command per SMS (single Redis: the
  keys lie in many slots; on Cluster one call per SMS, whose two keys share a slot).

  Once sent, an SMS of a conversation stored as one string has no record any more: its compact
  sent entry in the timeline (store/sent-entry.ts, 0x1B) says it is sent (store/lua/sent-n.lua).
  So a record claimed now (or held as a claim or the parts left) is checked against its
  conversation's timeline, and deleted when the SMS turns out to be sent.

  KEYS[2i-1]  the record of SMS i (keys.smsParts)
  KEYS[2i]    its conversation (keys.conversation)
  ARGV[1]     the claim (`~<job id>`)
  ARGV[2]     its TTL, seconds
  ARGV[2+i]   the smsId of SMS i

  Returns, per SMS: what its record held before (false: nothing, so the claim is set now), or
  the string `\0sent` for an SMS its timeline shows sent.
]]
--- @include "conversation"

-- Whether the timeline of the conversation string `value` holds the compact sent entry of `smsId`.
local function sentIn(value, smsId)
  local version, at = conversationHead(value)
  if type(version) == 'table' then
    return false
  end
  while at + 1 <= #value do
    local length = struct.unpack('>I2', value, at)
    -- After the entry's own 2-byte length: the tag, `at` (6 bytes), the encoding, the smsId's length.
    if string.byte(value, at + 2) == SENT_ENTRY_TAG and length >= 9 + #smsId and string.byte(value, at + 10) == #smsId
      and string.sub(value, at + 11, at + 10 + #smsId) == smsId then
      return true
    end
    at = at + 2 + length
  end
  return false
end

local out = {}
for i = 1, #KEYS / 2 do
  local record, conversation, smsId = KEYS[2 * i - 1], KEYS[2 * i], ARGV[2 + i]
  local before = redis.call('SET', record, ARGV[1], 'EX', ARGV[2], 'NX', 'GET')
  -- Nothing, a claim or the parts accepted before a drop: the SMS may still be sent already
  -- (a sent-n.lua stopped between the entry and the record's deletion); a failed or sent record
  -- says what it says.
  local unsettled = not before or string.sub(before, 1, 1) == '~' or string.sub(before, 1, 1) == '{'
  local value = unsettled and redis.call('GET', conversation)
  if value and sentIn(value, smsId) then
    redis.call('DEL', record)
    out[i] = '\0sent'
  else
    out[i] = before
  end
end
return out
