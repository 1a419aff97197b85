-- SPDX-License-Identifier: MIT
-- wrk: cycles over the requests of a file named after "--" (wrk … -s requests.lua URL -- FILE
-- NTHREADS). One request per line, fields separated by tabs:
--   METHOD  PATH  BODY  [Name: value]…
-- BODY may be empty; wrk adds Host and Content-Length. Every request is formatted once, when
-- the thread starts, so the per-request cost in wrk is one table lookup. Each thread starts
-- at its own offset in the list, so the threads do not send the same requests in step.
local items = {}
local i = 0
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  local file, nthreads = args[1], tonumber(args[2] or "1")
  if not file then
    error("requests.lua: give the request file after --")
  end
  for line in io.lines(file) do
    local f = {}
    for field in (line .. "\t"):gmatch("([^\t]*)\t") do
      f[#f + 1] = field
    end
    local headers = {}
    for k = 4, #f do
      local name, value = f[k]:match("^([^:]+):%s*(.*)$")
      headers[name] = value
    end
    local body = f[3]
    if body == "" then
      body = nil
    end
    items[#items + 1] = wrk.format(f[1], f[2], headers, body)
  end
  if #items == 0 then
    error("requests.lua: no requests in " .. file)
  end
  i = math.floor(#items * (id or 0) / nthreads)
end

function request()
  i = i % #items + 1
  return items[i]
end
