--[[
  The live connector sessions of a company, for one instruction: drops sessions whose lease ran out (their
  instance stopped renewing them), then takes the next turn of the company's round robin.

  KEYS[1]  sessions: sorted set, member = session id, score = lease expiry (ms, Redis time)
  KEYS[2]  session keys: hash, session id -> connector key id
  KEYS[3]  turn: counter
  Returns  {turn, session id 1, key id 1, session id 2, key id 2, ...}
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  redis.call('HDEL', KEYS[2], unpack(expired))
end
local out = {redis.call('INCR', KEYS[3])}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', KEYS[2], id) or ''
end
return out
