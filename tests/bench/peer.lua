-- The generic peer (PostGraphile 4) asked for what GET /v1/offers?municipality=M&limit=500
-- answers: one municipality's offers (at sites there) with their schedules, the same fields,
-- rotating over the 300 municipalities like lists.lua.
local n = 0
local query = [[query($m: String!) { allSites(condition: {municipality: $m}) { nodes {
  offersBySiteId(first: 500) { nodes { id title description siteId partnerId functions categories
    audience free priceNote registration email phone active mainLanguage translations
    createdAt updatedAt
    schedulesByOfferId(orderBy: POSITION_ASC) { nodes { id siteId dtstart until rrule
      startTime endTime } } } } } } }]]
request = function()
  n = n + 1
  local m = 1 + (n * 7919) % 300
  local body = string.format('{"query": %q, "variables": {"m": "M%d"}}', query, m)
  body = body:gsub("\\\n", "\\n")
  return wrk.format("POST", "/graphql", {["Content-Type"] = "application/json"}, body)
end
