-- The lists with their common filters, one kind per run (STEK_BENCH_LIST), rotating over the
-- 300 municipalities. Anonymous public lists are kept in the response cache once computed;
-- STEK_BENCH_COMPUTE=1 sends Stek-Read-After (a position every server has), which the cache
-- never answers: every request is computed from the database, as a first reader's is.
local kind = os.getenv("STEK_BENCH_LIST")
local token = os.getenv("STEK_BENCH_TOKEN")
local n = 0
local compute = os.getenv("STEK_BENCH_COMPUTE") == "1"
local paths = {
  offers = function(m) return string.format("/v1/offers?municipality=M%d&limit=500", m) end,
  sites = function(m) return string.format("/v1/sites?municipality=M%d&limit=100", m) end,
  partners = function(m) return "/v1/partners?limit=50" end,
  signals = function(m) return "/v1/signals?kind=barrier&limit=50" end,
  stats = function(m) return string.format("/v1/stats/signals?municipality=M%d&group_by=theme,month", m) end,
}
request = function()
  n = n + 1
  local m = 1 + (n * 7919) % 300
  local headers = {}
  if kind == "signals" then headers["Authorization"] = "Bearer " .. token end
  if compute then headers["Stek-Read-After"] = "0/1" end
  return wrk.format("GET", paths[kind](m), headers)
end
