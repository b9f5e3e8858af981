-- Take one of a limited number of units (store/replies.ts `takeSms`): the check and the count in
-- one step, so a refusal never counts and concurrent takers never spend more than the limit.
-- KEYS[1] the counter; ARGV[1] the limit, ARGV[2] the counter's lifetime in seconds.
-- Returns 1 when taken, 0 when the limit is spent.
local taken = tonumber(redis.call('GET', KEYS[1]) or '0')
if taken >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
