-- SPDX-License-Identifier: MIT
-- wrk: GET /token?access_token=…, cycling over the tokens of $BENCH_DIR/tokens.txt.
local items = {}
for token in io.lines(os.getenv("BENCH_DIR") .. "/tokens.txt") do
  items[#items + 1] = wrk.format("GET", "/token?access_token=" .. token)
end
local i = 0
function init(args) i = math.random(#items) end
function request()
  i = i % #items + 1
  return items[i]
end
