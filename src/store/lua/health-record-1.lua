--[[
  Records what an attempt's outcome did to a destination's health, atomically, and bumps its seq:
  'failure' adds one consecutive failure and extends the back-off to ARGV[2] (never shortening it);
  'answer' resets consecutive failures; 'reset' (a resume) clears failures and back-off; 'extend' only extends
  the back-off to ARGV[2] (never shortening it) and leaves failures and seq alone.

  KEYS[1]  health: hash {backedOffUntil, consecutiveFailures, seq}
  ARGV[1]  'failure' | 'answer' | 'reset' | 'extend'
  ARGV[2]  for 'failure': back-off end in ms ('' = no back-off)
  Returns  the hash after the change (HGETALL pairs)
]]
local op = ARGV[1]
if op == 'extend' then
  -- The back-off only, before the outcome that starts it commits: no failure counted, no seq.
  local current = tonumber(redis.call('HGET', KEYS[1], 'backedOffUntil') or '0')
  if tonumber(ARGV[2]) > current then redis.call('HSET', KEYS[1], 'backedOffUntil', ARGV[2]) end
  return redis.call('HGETALL', KEYS[1])
end
if op == 'failure' then
  redis.call('HINCRBY', KEYS[1], 'consecutiveFailures', 1)
  if ARGV[2] ~= '' then
    local current = tonumber(redis.call('HGET', KEYS[1], 'backedOffUntil') or '0')
    if tonumber(ARGV[2]) > current then redis.call('HSET', KEYS[1], 'backedOffUntil', ARGV[2]) end
  end
elseif op == 'answer' then
  redis.call('HSET', KEYS[1], 'consecutiveFailures', 0)
elseif op == 'reset' then
  redis.call('HSET', KEYS[1], 'consecutiveFailures', 0)
  redis.call('HDEL', KEYS[1], 'backedOffUntil')
else
  return redis.error_reply('unknown health operation ' .. op)
end
redis.call('HINCRBY', KEYS[1], 'seq', 1)
return redis.call('HGETALL', KEYS[1])
