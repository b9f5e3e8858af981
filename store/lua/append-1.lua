--[[
  Append timeline entries to an existing conversation without changing its state
  (delivery statuses, notes), keeping the conversation's TTL if it has one.

  A receipt run (store/receipt-entry.ts: 0x1D, then parts, status, stat, the smsId's length
  and the smsId, the err's length (0xFF: none) and the err — the run's identity — then `at`,
  6 bytes, then a bitmap of parts) whose
  identity is that of the timeline's last entry is merged into it: the bitmaps OR-ed, the
  later `at` kept. So the ten receipts of a 10-part SMS that all say DELIVRD make one entry;
  another entry in between starts a new run.

  KEYS[1]  conversation: one string, its timeline at the end (store/lua/commit-2.lua)
  ARGV[1 .. n]  timeline entries, each after its length (2 bytes, big-endian)

  Returns: 1 appended; 0 the conversation does not exist (expired or never was).
]]
--- @include "conversation"

-- The later of two 6-byte big-endian times, compared byte by byte (string `<` follows the locale).
local function later(a, b)
  for i = 1, 6 do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then
      return x > y and a or b
    end
  end
  return a
end

-- `last` and `entry` with their length prefixes; the merged run, or nil when they are not one.
local function merge(last, entry)
  if #last ~= #entry or #last < 15 or string.byte(last, 3) ~= RECEIPT_RUN_TAG or string.byte(entry, 3) ~= RECEIPT_RUN_TAG then
    return nil
  end
  -- After the 2-byte length: mark, parts, status, stat, smsId length (byte 7), smsId, err length.
  local errAt = 8 + string.byte(last, 7)
  local errLength = string.byte(last, errAt)
  if errLength == nil then
    return nil
  end
  local identityEnd = errAt + (errLength == 0xff and 0 or errLength)
  if string.sub(last, 1, identityEnd) ~= string.sub(entry, 1, identityEnd) then
    return nil
  end
  local bits = {}
  for i = identityEnd + 7, #last do
    bits[#bits + 1] = string.char(bit.bor(string.byte(last, i), string.byte(entry, i)))
  end
  local at = later(string.sub(last, identityEnd + 1, identityEnd + 6), string.sub(entry, identityEnd + 1, identityEnd + 6))
  return string.sub(last, 1, identityEnd) .. at .. table.concat(bits)
end

local value = redis.call('GET', KEYS[1])
if not value then
  return 0
end
local version, pos = conversationHead(value)
if type(version) == 'table' then
  return version
end
-- Where the last timeline entry (its length prefix) starts, if there is one.
local lastAt = nil
while pos + 1 <= #value do
  lastAt = pos
  pos = pos + 2 + struct.unpack('>I2', value, pos)
end
local parts = { lastAt and string.sub(value, 1, lastAt - 1) or value }
local last = lastAt and string.sub(value, lastAt) or ''
for i = 1, #ARGV do
  local merged = merge(last, ARGV[i])
  if merged then
    last = merged
  else
    parts[#parts + 1] = last
    last = ARGV[i]
  end
end
parts[#parts + 1] = last
-- GET and SET rather than APPEND: APPEND leaves up to as much free space as the value holds.
redis.call('SET', KEYS[1], table.concat(parts), 'KEEPTTL')
return 1
