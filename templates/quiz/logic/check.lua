-- Checks for everything a caller sends. The page validates too, but only this runs on the owner's
-- peer, so every visitor input passes through here before it is used or stored.
local C = {}

-- Raise an error the caller sees as { code, message } (the code picks the HTTP status).
function C.fail(code, message)
  error({ code = code, message = message }, 0)
end

-- A call's one argument: an object (a JSON null is an empty one).
function C.args(args, example)
  if args == nil then return {} end
  if type(args) ~= 'table' then C.fail('bad_request', 'expected an object such as ' .. example) end
  return args
end

-- A row ID: a whole number from 1.
function C.id(v, what)
  if math.type(v) ~= 'integer' or v < 1 then
    C.fail('bad_request', what .. ' must be a whole number from 1')
  end
  return v
end

-- A position in a list of n things, counted from 0.
function C.index(v, what, n)
  if math.type(v) ~= 'integer' or v < 0 or v >= n then
    C.fail('bad_value', what .. ' must be a whole number from 0 to ' .. (n - 1))
  end
  return v
end

-- Text as people type it: valid UTF-8, white space folded to single spaces and trimmed, no control
-- characters, min..max characters. Returns the cleaned text.
function C.text(v, what, max, min)
  min = min or 1
  if type(v) ~= 'string' then C.fail('bad_value', what .. ' must be text') end
  if utf8.len(v) == nil then C.fail('bad_value', what .. ' is not valid UTF-8 text') end
  local s = v:gsub('%s+', ' ')
  s = s:gsub('^ ', ''):gsub(' $', '')
  if s:find('%c') then C.fail('bad_value', what .. ' must not hold control characters') end
  local n = utf8.len(s)
  if n < min then
    C.fail('bad_value', min == 1 and (what .. ' must not be empty') or (what .. ' needs at least ' .. min .. ' characters'))
  end
  if n > max then C.fail('bad_value', what .. ' is at most ' .. max .. ' characters (it has ' .. n .. ')') end
  return s
end

-- A list (JSON array) of min..max distinct texts, each cleaned by C.text.
function C.choices(v, min, max, each)
  if type(v) ~= 'table' then C.fail('bad_value', 'the choices must be a list of texts') end
  local n, keys = #v, 0
  for _ in pairs(v) do keys = keys + 1 end
  if keys ~= n then C.fail('bad_value', 'the choices must be a list of texts') end
  if n < min or n > max then C.fail('bad_value', 'a question has ' .. min .. ' to ' .. max .. ' choices, not ' .. n) end
  local out, seen = {}, {}
  for i = 1, n do
    local s = C.text(v[i], 'choice ' .. i, each)
    local folded = s:lower()
    if seen[folded] then C.fail('bad_value', 'choice ' .. i .. ' is the same as choice ' .. seen[folded] .. ': each choice must differ') end
    seen[folded] = i
    out[i] = s
  end
  return out
end

return C
