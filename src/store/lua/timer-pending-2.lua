--[[
  How many timers wait, for the metrics: due now (their time passed and nobody claimed them yet), scheduled
  in all, and claimed and in flight. Read-only.

  KEYS[1]  due: sorted set (see timer-schedule-3)
  KEYS[2]  in flight: sorted set (see timer-claim-3)
  Returns  {due now, scheduled, in flight}
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return { redis.call('ZCOUNT', KEYS[1], '-inf', now), redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]) }
