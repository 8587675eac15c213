--[[
  Counts a destination's slots now, dropping expired leases first.

  KEYS[1]  leases: sorted set (see lease-acquire-3)
  KEYS[2]  answered: set (see lease-answer-2)
  Returns  {connecting, active}
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  redis.call('SREM', KEYS[2], unpack(expired))
end
local held = redis.call('ZCARD', KEYS[1])
local active = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('ZSCORE', KEYS[1], id) then active = active + 1 end
end
return {held - active, active}
