-- One popular feed query read in four languages (Accept-Language rotating): each language
-- is its own cached answer, so after one miss per language every request is a hit.
local langs = {"nl-BE, nl;q=0.9", "fr-BE, fr;q=0.9, nl;q=0.5", "en-GB, en;q=0.8", "de-BE, de"}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", wrk.path, {["Accept-Language"] = langs[1 + n % #langs]})
end
