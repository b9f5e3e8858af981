--[[
  An invitation SMS counted in its campaign's `sent` once, on Cluster, where the count cannot share
  the script call that records the SMS sent (store/sent-records.ts): the SMS is kept in the set of
  the hour it was first recorded in, and a count written again (a retried job, a second job holding
  the SMS) finds it there, whether or not the conversation is still among the campaign's members.

  KEYS[1]  the campaign's counters
  KEYS[2]  the invitations counted in that hour (keys.campaignCounted)
  ARGV[1]  `<conversation id> <smsId>`
  ARGV[2]  how long the set is kept (seconds): beyond the last moment a count of it may still be owed

  Returns 1 when it counted the SMS, 0 when it was counted before.
]]
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('EXPIRE', KEYS[2], ARGV[2])
-- The field `sent` is a persisted name (store/campaigns.ts CAMPAIGN_FIELDS).
redis.call('HINCRBY', KEYS[1], 'sent', 1)
return 1
