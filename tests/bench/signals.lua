-- POST /v1/signals with a unique Idempotency-Key per request (a new signal each time).
local token = os.getenv("STEK_BENCH_TOKEN")
local site = os.getenv("STEK_BENCH_SITE")
local today = os.getenv("STEK_BENCH_TODAY")
local n = 0
local threads = 0
-- Every wrk thread runs its own Lua state with the same unseeded random numbers: each gets its
-- own prefix from setup (with the run's time), or two threads would send the same keys (and
-- half the requests would be replays of the other's signals).
function setup(thread)
  threads = threads + 1
  thread:set("id", string.format("%d-%d", os.time(), threads))
end
local body = string.format(
  '{"kind":"barrier","theme":"mobility","site_id":"%s","occurred_on":"%s","note":"Loket enkel met de auto bereikbaar."}',
  site, today)
request = function()
  n = n + 1
  return wrk.format("POST", "/v1/signals", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = id .. "-" .. n,
  }, body)
end
