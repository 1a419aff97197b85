-- SPDX-License-Identifier: MIT
-- wrk: JSON client-credentials requests, cycling over the accesses of $BENCH_DIR/creds.txt
-- (one "<path>\t<body>" per line). Each wrk thread starts at another offset.
local items = {}
for line in io.lines(os.getenv("BENCH_DIR") .. "/creds.txt") do
  local path, body = line:match("^([^\t]+)\t(.*)$")
  items[#items + 1] = wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end
local i = 0
function init(args) i = math.random(#items) end
function request()
  i = i % #items + 1
  return items[i]
end
