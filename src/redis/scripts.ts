/**
 * Every Lua script the bot runs, in one place, each with what its KEYS and ARGV are. A script runs
 * atomically in Redis: these are the read-then-write steps that must not interleave across processes.
 * The stores that own the keys are the only callers.
 */
export const SCRIPTS = {
  /**
   * Deletes a lock only if the caller still holds it (or a key only if it still holds the value the
   * caller checked).
   * KEYS[1] the lock; ARGV[1] the holder's token (the expected value). Returns 1 when deleted, 0 otherwise.
   */
  releaseIfToken: `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`,

  /**
   * Extends a lock only if the caller still holds it (a holder that stalled past the expiry must not
   * extend its successor's lock).
   * KEYS[1] the lock; ARGV[1] the holder's token; ARGV[2] the new TTL in ms. Returns 1 when renewed, 0 otherwise.
   */
  renewIfToken: `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`,

  /**
   * Sets a field of a hash only if the hash still has another field (a run's `message`, only while
   * the run's `meta` is there: a run deleted meanwhile is not brought back as a stray field).
   * KEYS[1] the hash; ARGV[1] the field that must exist; ARGV[2] the field to set; ARGV[3] its value.
   * Returns 1 when set, 0 otherwise.
   */
  hsetIfField: `if redis.call('hexists', KEYS[1], ARGV[1]) == 1 then redis.call('hset', KEYS[1], ARGV[2], ARGV[3]) return 1 else return 0 end`,

  /**
   * Deletes a cloud's run lock only if the given run holds it.
   * KEYS[1] the cloud's run lock (JSON with `runId`); ARGV[1] the run id. Returns 1 when deleted.
   */
  releaseCloudLock: `if redis.call('get', KEYS[1]) and cjson.decode(redis.call('get', KEYS[1])).runId == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`,

  /**
   * Extends a cloud's run lock only if the given run holds it.
   * KEYS[1] the cloud's run lock; ARGV[1] the run id; ARGV[2] the new TTL in ms. Returns 1 when renewed.
   */
  renewCloudLock: `if redis.call('get', KEYS[1]) and cjson.decode(redis.call('get', KEYS[1])).runId == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`,

  /**
   * Forgets what a cloud carries, unless a newer run took it over meanwhile.
   * KEYS[1] the cloud's current run id; KEYS[2] its last-deploy hash (field `runId`); ARGV[1] the run id.
   */
  /**
   * An ephemeral deploy tore the cloud down: when it still carries that run, it carries nothing now,
   * and no older deploy is live on it either. KEYS[1] current, KEYS[2] last deploy; ARGV[1] run id.
   */
  tearDownCloud: `if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('del', KEYS[1], KEYS[2]) end
return 1`,

  clearCloudIfOurs: `if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('del', KEYS[1]) end
if redis.call('hget', KEYS[2], 'runId') == ARGV[1] then redis.call('del', KEYS[2]) end
return 1`,

  /**
   * Writes a field once, together with more fields, or nothing when it was written already.
   * KEYS[1] the hash; ARGV[1] the once-field; ARGV[2] its value; ARGV[3..] more field/value pairs.
   * Returns 1 when written.
   */
  startOnce: `if redis.call('hsetnx', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
for i = 3, #ARGV, 2 do redis.call('hset', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1`,

  /**
   * startOnce, only while a field still has a value: an automatic destroy runs only if the lifetime
   * it was scheduled for was not extended meanwhile. KEYS[1] the hash; ARGV[1] the field that must
   * hold ARGV[2]; then startOnce's ARGV. Returns 1 when written, 0 when started already or moved.
   */
  startOnceIf: `if redis.call('hget', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
if redis.call('hsetnx', KEYS[1], ARGV[3], ARGV[4]) == 0 then return 0 end
for i = 5, #ARGV, 2 do redis.call('hset', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1`,

  /**
   * Moves a kept deploy's end, only from the end it has now and while no destroy has started
   * (Extend against its own timer firing). KEYS[1] the run's hash; ARGV[1] the end now; ARGV[2]
   * the new end; ARGV[3] the hash's TTL in ms at least. Returns 1 when moved.
   */
  moveKeep: `if redis.call('hget', KEYS[1], 'keep') ~= ARGV[1] or redis.call('hexists', KEYS[1], 'destroy') == 1 then return 0 end
redis.call('hset', KEYS[1], 'keep', ARGV[2])
if redis.call('pttl', KEYS[1]) < tonumber(ARGV[3]) then redis.call('pexpire', KEYS[1], ARGV[3]) end
return 1`,

  /**
   * Reserves one of a person's run slots, or refuses when they are all taken.
   * KEYS[1] the person's unfinished runs (sorted set); ARGV[1] the limit; ARGV[2] the reservation's
   * member; ARGV[3] its score (now, ms); ARGV[4] the set's TTL in ms. Returns 1 when reserved.
   */
  reserveSlot: `if redis.call('zcard', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('zadd', KEYS[1], ARGV[3], ARGV[2])
redis.call('pexpire', KEYS[1], ARGV[4])
return 1`,

  /**
   * Claims every key or none: a delivery is new only if none of its ids was seen.
   * KEYS the delivery's ids; ARGV[1] the value to store; ARGV[2] their TTL in seconds. Returns 1 when claimed.
   */
  claimAll: `for i = 1, #KEYS do if redis.call('exists', KEYS[i]) == 1 then return 0 end end
for i = 1, #KEYS do redis.call('set', KEYS[i], ARGV[1], 'EX', ARGV[2]) end
return 1`,

  /**
   * Records a CI run's state unless the run is already at this state or a later one.
   * KEYS[1] the run's state hash (`rank`, `value`); KEYS[2] its version counter;
   * ARGV[1] the state's rank; ARGV[2] the state as JSON; ARGV[3] the TTL in seconds.
   * Returns the new version, or 0 when the state is stale.
   */
  recordNotification: `
local rank = redis.call('HGET', KEYS[1], 'rank')
if rank and tonumber(rank) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'rank', ARGV[1], 'value', ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
local version = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
return version
`,

  /**
   * Remembers a pipeline's latest completed run and returns the verdict of the one before it; the same
   * run observed twice returns the same answer.
   * KEYS[1] the pipeline-and-branch key; ARGV[1] the run (`id#attempt`); ARGV[2] its verdict;
   * ARGV[3] the TTL in seconds. Returns the previous run's verdict, or ''.
   */
  observeTransition: `
local raw = redis.call('GET', KEYS[1])
local previous = ''
if raw then
  local last = cjson.decode(raw)
  if last.run == ARGV[1] then return last.previous end
  previous = last.verdict
end
redis.call('SET', KEYS[1], cjson.encode({run = ARGV[1], verdict = ARGV[2], previous = previous}), 'EX', tonumber(ARGV[3]))
return previous
`,

  /**
   * Sets a hash field to a time unless it holds a time at or after a limit (a confirmation still
   * standing); an older one is replaced.
   * KEYS[1] the hash; ARGV[1] the field; ARGV[2] the new time; ARGV[3] the limit. Returns 1 when set.
   */
  setIfAbsentOrOlder: `local current = redis.call('hget', KEYS[1], ARGV[1])
if current and tonumber(current) >= tonumber(ARGV[3]) then return 0 end
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
return 1`,
} as const;
