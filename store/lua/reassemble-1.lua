--[[
  Store one part of a multipart reply; when every part is in, return them all.

  Parts arrive in any order, and a part may arrive twice (the SMSC retransmits
  when our deliver_sm_resp was lost). The hash expires, so parts of a reply
  that never completes do not stay (they are counted by the caller).

  KEYS[1]  parts hash (gw:{m:<msisdn>}:mp:<ref>:<total>)
  ARGV[1]  part number (1-based)
  ARGV[2]  part payload (hex of the user data without UDH)
  ARGV[3]  total number of parts
  ARGV[4]  TTL in seconds

  Returns: nil while incomplete; the payloads in part order once complete.
  The hash is kept (not deleted) so a retransmitted last part finds it complete
  again and the reply worker tells it is a retransmission; it expires with its TTL.
]]
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('TTL', KEYS[1]) < 0 then
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
end
local total = tonumber(ARGV[3])
if redis.call('HLEN', KEYS[1]) < total then
  return nil
end
local parts = {}
for i = 1, total do
  local p = redis.call('HGET', KEYS[1], tostring(i))
  if not p then return nil end
  parts[i] = p
end
return parts
