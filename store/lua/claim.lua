--[[
  Claim the records of the SMS a job is about to send (store/sms-record.ts `claimSmsRecords`,
  single Redis only: the keys lie in many slots): `SET key claim NX GET` for each, in one call
  rather than one command per SMS.

  KEYS      the SMS's records (keys.smsParts)
  ARGV[1]   the claim (`~<job id>`)
  ARGV[2]   its TTL, seconds

  Returns, per key: what it held before (false: nothing, so the claim is set now), or the string
  `\0hash` for a record an earlier version wrote as a hash (never claimed; the caller reads it).
]]
local out = {}
for i = 1, #KEYS do
  if redis.call('TYPE', KEYS[i]).ok == 'hash' then
    out[i] = '\0hash'
  else
    out[i] = redis.call('SET', KEYS[i], ARGV[1], 'EX', ARGV[2], 'NX', 'GET')
  end
end
return out
