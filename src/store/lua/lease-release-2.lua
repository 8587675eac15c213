--[[
  Frees an attempt's slot, whatever ended it. Idempotent.

  KEYS[1]  leases: sorted set (see lease-acquire-3)
  KEYS[2]  answered: set (see lease-answer-2)
  ARGV[1]  attempt id
  Returns  1 when a slot was freed, 0 when the attempt held none
]]
redis.call('SREM', KEYS[2], ARGV[1])
return redis.call('ZREM', KEYS[1], ARGV[1])
