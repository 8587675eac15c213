--[[
  The live connector sessions of a company, for one instruction: drops sessions whose lease ran out (their
  instance stopped renewing them), then takes the next turn of the company's round robin.

  KEYS[1]  sessions: sorted set, member = session id, score = lease expiry (ms, Redis time)
  KEYS[2]  session keys: hash, session id -> connector key id
  KEYS[3]  turn: counter
  KEYS[4]  acknowledging sessions: hash, session id -> '1' for a session that declared on its subscription
           that it acknowledges its instructions explicitly; no field for one that did not
  Returns  {turn, session id 1, key id 1, acknowledges 1 ('1' or ''), session id 2, ...}
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  redis.call('HDEL', KEYS[2], unpack(expired))
  redis.call('HDEL', KEYS[4], unpack(expired))
end
local out = {redis.call('INCR', KEYS[3])}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', KEYS[2], id) or ''
  out[#out + 1] = redis.call('HGET', KEYS[4], id) or ''
end
return out
