-- Many different feed queries: municipalities x windows x filters, so that the
-- response cache cannot hide the query cost.
local functions = {"", "&function=meeting", "&function=learning", "&free=true"}
local n = 0
request = function()
  n = n + 1
  local m = 1 + (n * 7919) % 300
  local day = 1 + (n * 31) % 28
  local f = functions[1 + math.floor(n / 300) % #functions]
  local path = string.format("/v1/feed?municipality=M%d&from=2026-12-%02d&to=2027-01-%02d%s",
                             m, day, day, f)
  return wrk.format("GET", path)
end
