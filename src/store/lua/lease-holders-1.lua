--[[
  Lists the attempts holding a slot of a destination now (leases not yet expired on Redis's clock). Reads only.

  KEYS[1]  leases: sorted set (see lease-acquire-3)
  Returns  the attempt ids whose lease runs past now
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
