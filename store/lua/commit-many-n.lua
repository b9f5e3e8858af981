--[[
  Commit the steps of many conversations in one call (a sweep's due deadlines, a turn's replies),
  each by its own compare-and-set as store/lua/commit-2.lua does (includes/commit.lua): a step
  whose conversation changed since it was read is not written, the others are. With each step
  written, what would otherwise follow it as separate commands: its deadline in the deadline index
  (includes/deadline.lua), its state in the counts (summed over the call's steps, one HINCRBY per
  count), and its outbox entries in the batch's outbox
  (one hash for the call, field `<id>:<new version>`, the entries as one JSON array) rather than in
  the conversation's own list: handing them over removes a field (store/lua/batch-done-n.lua)
  instead of each entry by its digest. The batch enters the recovery index scored by Redis's clock.
  The keys lie in many slots: single Redis only (on Cluster each step is committed alone).

  KEYS[1]        the batches with entries left (sorted set: batch → ms written)
  KEYS[2]        the deadline index of buckets (sorted set)
  KEYS[3]        the counts of conversations by service and state (hash)
  KEYS[4]        this batch's outbox (hash)
  KEYS[3i+2 ..]  for step i (from 1): the conversation, its outbox list, its deadline bucket
  ARGV[1]        the number of steps
  ARGV[2]        the batch (its member in KEYS[1])
  then per step: the expected version, the new document, the TTL (as commit-2.lua), n, m,
                 the deadline ('-' unchanged, '' none, else epoch ms), the bucket's number,
                 the count to decrement ('' none), the count to increment ('' none), the
                 conversation id, n timeline entries, m outbox entries (JSON each)

  Returns: per step { 1, newVersion, the outcomes' bits handed over so far (the head's) } committed,
  or { 0, currentVersion } not written (-2: the stored value is of another format; committing the
  step alone reports it). The call sent again after its answer was lost (the batch is its own: a
  random name per call) answers { 1, ... } for the steps it wrote the first time and whose
  conversation has not moved since: their entries are in this batch, to be handed over, and the
  conversation holds their document. A second step of one conversation in the same call loses to
  the first, sent again or not, even when both carry the same document (the same invitation twice
  in one turn).
]]
--- @include "commit"
--- @include "deadline"
local results = {}
local held = false
-- The counts the written steps move, applied once per field at the end: a sweep's steps mostly
-- move the same two.
local moved = {}
-- The conversations a step of this very run wrote (or found its own, in a call sent again).
local written = {}
local fields = {}
local function move(field, delta)
  if moved[field] == nil then
    moved[field] = 0
    fields[#fields + 1] = field
  end
  moved[field] = moved[field] + delta
end
local at = 3
for i = 1, tonumber(ARGV[1]) do
  local key, outbox, bucketKey = KEYS[3 * i + 2], KEYS[3 * i + 3], KEYS[3 * i + 4]
  local n, m = tonumber(ARGV[at + 3]), tonumber(ARGV[at + 4])
  local deadline, bucket, from, to, id = ARGV[at + 5], ARGV[at + 6], ARGV[at + 7], ARGV[at + 8], ARGV[at + 9]
  local first = at + 10
  -- No entry goes to the conversation's own list (an empty range): they go to the batch's hash.
  local result = commitStep(
    key,
    outbox,
    tonumber(ARGV[at]),
    ARGV[at + 1],
    table.concat(ARGV, '', first, first + n - 1),
    tonumber(ARGV[at + 2]),
    ARGV,
    first + n,
    first + n - 1
  )
  if result[1] == 1 then
    written[key] = true
    if m > 0 then
      redis.call('HSET', KEYS[4], id .. ':' .. result[2], '[' .. table.concat(ARGV, ',', first + n, first + n + m - 1) .. ']')
      held = true
    end
    if deadline ~= '-' then
      setDeadline(bucketKey, KEYS[2], id, deadline, bucket)
    end
    if from ~= '' then
      move(from, -1)
    end
    if to ~= '' then
      move(to, 1)
    end
  elseif
    result[1] == 0
    and m > 0
    and not written[key]
    and redis.call('HEXISTS', KEYS[4], id .. ':' .. result[2]) == 1
  then
    -- Entries wait in this call's own batch at the conversation's version: this very call wrote
    -- them, when it ran before and its answer was lost with the connection (the client sends a
    -- call it had no answer to again once it reconnects), or for another step of the same
    -- conversation earlier in this call. The stored document tells which: this step's own, written
    -- before; another's, this step lost to it and is decided again.
    local _, timelineAt, marked = conversationHead(redis.call('GETRANGE', key, 0, HEAD_BYTES - 1))
    if redis.call('GETRANGE', key, HEAD_BYTES, timelineAt - 2) == ARGV[at + 1] then
      result = { 1, result[2], marked }
      written[key] = true
    end
  elseif result[1] ~= 0 then
    result = { 0, -2 }
  end
  results[i] = result
  at = first + n + m
end
for _, field in ipairs(fields) do
  redis.call('HINCRBY', KEYS[3], field, moved[field])
end
if held then
  local time = redis.call('TIME')
  redis.call('ZADD', KEYS[1], tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000), ARGV[2])
end
return results
