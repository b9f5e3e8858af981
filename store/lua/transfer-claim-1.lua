--[[
  Hand a job's claim on an SMS, or a partial record it owns, to another job
  (store/sms-record.ts `SmsRecords.transferClaim`). A record since written by another job, or marked
  sent, stays as it is.

  KEYS[1]  the SMS's record
  ARGV[1]  the claim of the job giving it (`~<from>`)
  ARGV[2]  the claim of the job taking it (`~<to>`)
  ARGV[3]  from (the job id)
  ARGV[4]  to

  Returns: 1 handed over; 0 not this job's to give.
]]
local value = redis.call('GET', KEYS[1])
if not value then
  return 0
end
if value == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
  return 1
end
if string.sub(value, 1, 1) == '{' then
  local ok, record = pcall(cjson.decode, value)
  if ok and record.o == ARGV[3] then
    record.o = ARGV[4]
    redis.call('SET', KEYS[1], cjson.encode(record), 'KEEPTTL')
    return 1
  end
end
return 0
