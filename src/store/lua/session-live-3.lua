--[[
  The live connector sessions of a company (lease not run out on Redis's clock), without dropping the others
  or taking a turn. Reads only. One script, so the clock read is that of the server holding the sessions (on a
  Redis Cluster, TIME sent on its own could reach another node).

  KEYS[1]  sessions: sorted set (see session-candidates-4)
  KEYS[2]  session keys: hash (see session-candidates-4)
  KEYS[3]  acknowledging sessions: hash (KEYS[4] of session-candidates-4)
  Returns  {session id 1, key id 1, acknowledges 1 ('1' or ''), session id 2, ...}
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', KEYS[2], id) or ''
  out[#out + 1] = redis.call('HGET', KEYS[3], id) or ''
end
return out
