--[[
  Compare-and-set of one agent's live state: applies the changes only when the agent still has the expected
  status, activity and call, and bumps its sequence number. An agent never seen is LOGGED_OUT and IDLE.

  KEYS[1]  agent: hash {status, activity, callId, idleSince, wrapUpUntil, notBefore, seq}
  ARGV[1]  expected status ('' = any)
  ARGV[2]  expected activity ('' = any; several separated by ',')
  ARGV[3]  expected call id ('' = none, '*' = any)
  ARGV[4..] field, value, field, value... to set ('' value clears a field)
  Returns  the agent's hash after the change (HGETALL pairs), or nil when the expectation did not hold
]]
local status = redis.call('HGET', KEYS[1], 'status') or 'LOGGED_OUT'
local activity = redis.call('HGET', KEYS[1], 'activity') or 'IDLE'
local callId = redis.call('HGET', KEYS[1], 'callId') or ''
if ARGV[1] ~= '' and ARGV[1] ~= status then return false end
if ARGV[2] ~= '' and not string.find(',' .. ARGV[2] .. ',', ',' .. activity .. ',', 1, true) then return false end
if ARGV[3] ~= '*' and ARGV[3] ~= callId then return false end
for i = 4, #ARGV, 2 do
  if ARGV[i + 1] == '' then
    redis.call('HDEL', KEYS[1], ARGV[i])
  else
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
redis.call('HINCRBY', KEYS[1], 'seq', 1)
return redis.call('HGETALL', KEYS[1])
