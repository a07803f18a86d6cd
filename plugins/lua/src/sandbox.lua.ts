/**
 * The sandbox, in Lua. It runs once per worker, before any logic, in a state that has only the base,
 * string, table, math, utf8, coroutine and os libraries open (io, debug and package are never
 * opened). It captures what logic may use, strips the state's real global table, and returns the
 * functions the worker calls. Logic never runs in the real global table: each call (and the load)
 * gets a fresh environment from `newEnv` (an empty table whose globals are made on first use), and
 * the chunks' `_ENV` upvalue is pointed at it.
 *
 * `natives` are C functions written in JS (vm.ts): host (a blocking host call), setenv (point a
 * chunk's _ENV), callinfo (this call's function name, argument, caller, peer), setresult / setfail
 * (hand the outcome to JS), now (epoch ms), phase (0 idle, 1 top level, 2 inside a function).
 * They are upvalues here and nowhere else: without `debug`, logic cannot reach them.
 */
export const SANDBOX_LUA = String.raw`
local natives = ...
local hostcall, setenv, callinfo, setresult, setfail, nowms, setphase, NULL =
  natives.host, natives.setenv, natives.callinfo, natives.setresult, natives.setfail, natives.now, natives.phase, natives.null

local G = _G
local type, error, next, select, tostring, ipairs = type, error, next, select, tostring, ipairs
local rawget, rawset, rawequal, setmetatable, getmetatable, pcall = rawget, rawset, rawequal, setmetatable, getmetatable, pcall
local collect = collectgarbage
local concat, sort, format = table.concat, table.sort, string.format
local load_ = load

-- The libraries logic gets. Each call gets its own copies of these tables (made when the call first
-- touches one), so a call that changes string.format or math.pi changes them for itself only.
-- os: only the clock.
local os_clock = os.clock
local LIBS = {
  string = string, table = table, math = math, utf8 = utf8, coroutine = coroutine,
  os = { time = os.time, clock = os.clock, difftime = os.difftime },
}
-- string.dump would hand out bytecode; strings' own metatable indexes this same table.
string.dump = nil
-- getmetatable("") answers false: the shared string table cannot be reached (and changed) through it.
getmetatable("").__metatable = false

local INCLUDE = 'use include("file.lua") for the logic\'s own files'
local REMOVED = {
  io = 'io is not available in goop logic: there are no files; keep state in goop.kv or goop.db',
  debug = 'debug is not available in goop logic',
  package = 'package is not available in goop logic: ' .. INCLUDE,
  require = 'require is not available in goop logic: ' .. INCLUDE,
  dofile = 'dofile is not available in goop logic: ' .. INCLUDE,
  loadfile = 'loadfile is not available in goop logic: ' .. INCLUDE,
  load = 'load is not available in goop logic: logic cannot compile code while it runs',
  loadstring = 'loadstring is not available in goop logic: logic cannot compile code while it runs',
  warn = 'warn is not available in goop logic: use goop.log',
}
local OS_ONLY = 'only os.time, os.clock and os.difftime are available in goop logic (and goop.now())'
local LIB_REMOVED = {
  os = {
    execute = 'os.execute is not available: ' .. OS_ONLY, exit = 'os.exit is not available: ' .. OS_ONLY,
    getenv = 'os.getenv is not available: ' .. OS_ONLY, remove = 'os.remove is not available: ' .. OS_ONLY,
    rename = 'os.rename is not available: ' .. OS_ONLY, tmpname = 'os.tmpname is not available: ' .. OS_ONLY,
    setlocale = 'os.setlocale is not available: ' .. OS_ONLY, date = 'os.date is not available: ' .. OS_ONLY,
  },
  string = { dump = 'string.dump is not available in goop logic' },
}

-- Nothing logic must not have stays in the real global table, should anything ever reach it.
for _, k in ipairs({ 'io', 'os', 'debug', 'package', 'require', 'load', 'loadfile', 'dofile', 'loadstring',
                     'collectgarbage', 'print', 'warn' }) do
  G[k] = nil
end

-- Tables logic must not change: the goop API (shared by all calls, so read-only).
local PROTECTED = {}

local function rawset_(t, k, v)
  if PROTECTED[t] then error('goop is read-only', 2) end
  return rawset(t, k, v)
end

local function setmetatable_(t, mt)
  -- A finaliser would run later, during some other call (or none): nothing of a call may outlive it.
  if type(mt) == 'table' and rawget(mt, '__gc') ~= nil then
    error('setmetatable: __gc is not available in goop logic', 2)
  end
  return setmetatable(t, mt)
end

local function collectgarbage_(opt)
  if opt == 'count' then return collect('count') end
  error('collectgarbage: only collectgarbage("count") is available in goop logic', 2)
end

local BASE = {
  assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs, pcall = pcall, xpcall = xpcall,
  rawequal = rawequal, rawget = rawget, rawlen = rawlen, select = select, getmetatable = getmetatable,
  tonumber = tonumber, tostring = tostring, type = type, _VERSION = _VERSION,
  setmetatable = setmetatable_, rawset = rawset_, collectgarbage = collectgarbage_,
}

-- The host API ---------------------------------------------------------------------------------

local HostError = {
  __metatable = 'goop.error',
  __tostring = function(e) return tostring(rawget(e, 'code')) .. ': ' .. tostring(rawget(e, 'message')) end,
}

-- A host call returns directly; a refusal is raised as { code = ..., message = ... }.
local function call(method, ...)
  local ok, a, b = hostcall(method, ...)
  if ok then return a end
  error(setmetatable({ code = a, message = b }, HostError), 0)
end

local function readonly(name, fields)
  local proxy = setmetatable({}, {
    __index = fields,
    __newindex = function() error(name .. ' is read-only', 2) end,
    __metatable = name .. ' is read-only',
  })
  PROTECTED[proxy] = true
  return proxy
end

local function dbFields(method)
  return {
    describe = function() return call(method, 'describe') end,
    query = function(tbl, opts) return call(method, 'query', tbl, opts) end,
    get = function(tbl, id) return call(method, 'get', tbl, id) end,
    count = function(tbl, where) return call(method, 'count', tbl, where) end,
    insert = function(tbl, values) return call(method, 'insert', tbl, values) end,
    update = function(tbl, id, values) return call(method, 'update', tbl, id, values) end,
    delete = function(tbl, id) return call(method, 'delete', tbl, id) end,
  }
end
local db = dbFields('db')
db.owner = readonly('goop.db.owner', dbFields('db.owner'))

local function log(message, fields)
  if type(message) ~= 'string' then message = tostring(message) end
  call('log', message, fields)
end

local function print_(...)
  local parts = {}
  for i = 1, select('#', ...) do parts[i] = tostring((select(i, ...))) end
  call('log', concat(parts, '\t'))
end

-- Marks a table as a JSON object, so that it is {} rather than [] when empty.
local OBJECT = { __metatable = 'goop.object' }
local function object(t)
  if t == nil then t = {} end
  if type(t) ~= 'table' then error('goop.object: expected a table', 2) end
  local mt = getmetatable(t)
  if mt == nil then return setmetatable(t, OBJECT) end
  if mt == 'goop.object' then return t end
  error('goop.object: this table already has a metatable', 2)
end

local caller, peer
local API = {
  db = readonly('goop.db', db),
  kv = readonly('goop.kv', {
    get = function(key) return call('kv.get', key) end,
    set = function(key, value) return call('kv.set', key, value) end,
    delete = function(key) return call('kv.delete', key) end,
    list = function(prefix) return call('kv.list', prefix) end,
  }),
  mq = readonly('goop.mq', {
    publish = function(topic, payload) return call('mq.publish', topic, payload) end,
    send = function(to, topic, payload) return call('mq.send', to, topic, payload) end,
  }),
  log = log,
  now = function() return nowms() end,
  null = NULL,
  object = object,
}
local GOOP = setmetatable({}, {
  __index = function(_, k)
    if k == 'caller' then return caller end
    if k == 'peer' then return peer end
    return API[k]
  end,
  __newindex = function() error('goop is read-only', 2) end,
  __metatable = 'goop is read-only',
})
PROTECTED[GOOP] = true

-- Environments -------------------------------------------------------------------------------

local CHUNKS, ENTRY = {}, nil

-- A library's copy, made by a table constructor generated once per library (all fields set in one
-- go, no rehashing: several times faster than copying in a loop). The generated code is ours.
local LIB_META = {}
for name, removed in next, LIB_REMOVED do
  LIB_META[name] = {
    __index = function(_, k)
      local why = removed[k]
      if why then error(why, 2) end
      return nil
    end,
    __metatable = 'goop: this library\'s metatable is fixed',
  }
end
local function copier(name, lib)
  local keys = {}
  for k in next, lib do keys[#keys + 1] = k end
  sort(keys)
  local fields = {}
  for i, k in ipairs(keys) do fields[i] = format('[%q] = src[%q]', k, k) end
  local make = load_('local src = ... return function() return { ' .. concat(fields, ', ') .. ' } end', '=copier', 't', {})(lib)
  local meta = LIB_META[name]
  if meta == nil then return make end
  return function() return setmetatable(make(), meta) end
end

local function makeInclude(env)
  local done, loading = {}, {}
  return function(path)
    if type(path) ~= 'string' then error('include: expected a file name', 2) end
    if path:sub(1, 2) == './' then path = path:sub(3) end
    local key = path
    if CHUNKS[key] == nil and CHUNKS[path .. '.lua'] ~= nil then key = path .. '.lua' end
    if CHUNKS[key] == nil then error('include: the logic has no file ' .. path, 2) end
    if key == ENTRY then error('include: ' .. key .. ' is the entry file', 2) end
    local got = done[key]
    if got ~= nil then return got end
    if loading[key] then error('include: ' .. key .. ' includes itself', 2) end
    loading[key] = true
    local result = setenv(CHUNKS[key], env)()
    loading[key] = nil
    if result == nil then result = true end
    done[key] = result
    return result
  end
end

-- What a global name resolves to in a call's environment, made on first use: a call pays only for
-- the libraries it touches (an environment is one empty table until then).
local FACTORIES = {
  _G = function(env) return env end,
  goop = function() return GOOP end,
  print = function() return print_ end,
  include = makeInclude,
}
for k, v in next, BASE do FACTORIES[k] = function() return v end end
for name, lib in next, LIBS do FACTORIES[name] = copier(name, lib) end

local function lazyGlobal(env, k)
  local make = FACTORIES[k]
  if make ~= nil then
    local v = make(env)
    rawset(env, k, v)
    return v
  end
  local why = REMOVED[k]
  if why then error(why, 2) end
  return nil
end

-- Fixed (__metatable): replacing it would cut the environment off from its libraries.
local ENV_META = { __index = lazyGlobal, __metatable = 'goop: the environment\'s metatable is fixed' }

local function newEnv()
  return setmetatable({}, ENV_META)
end

-- Running logic ------------------------------------------------------------------------------

-- Run the entry's top level in a fresh environment; host calls are refused while it runs.
local function topLevel()
  setphase(1)
  local M = setenv(CHUNKS[ENTRY], newEnv())()
  setphase(0)
  if type(M) ~= 'table' then
    error(ENTRY .. ' must return a table of functions (it returned ' .. (M == nil and 'nothing' or 'a ' .. type(M)) .. ')', 0)
  end
  return M
end

-- Codes that would claim something about the runtime rather than the logic.
local RESERVED = { timeout = true, memory = true, not_exported = true, bad_logic = true, bad_result = true,
                   internal = true, unavailable = true }

-- What the caller sees of an error the logic raised (README "Errors").
local function classify(e)
  local t = type(e)
  if t == 'string' then return 'logic_error', e end
  if t == 'number' then return 'logic_error', tostring(e) end
  if t == 'table' then
    local code, message = rawget(e, 'code'), rawget(e, 'message')
    if type(message) ~= 'string' then message = nil end
    if type(code) == 'string' and #code <= 64 and code:find('^[a-z][a-z0-9_]*$') and not RESERVED[code] then
      return code, message or code
    end
    if message then return 'logic_error', message end
  end
  return 'logic_error', 'the logic raised an error value of type ' .. t
end

local function runCall()
  local fn, args
  fn, args, caller, peer = callinfo()
  local M = topLevel()
  local f = rawget(M, fn)
  if type(f) ~= 'function' then
    setfail('not_exported', ENTRY .. ' exports no function ' .. fn)
    return
  end
  setphase(2)
  local result = f(args)
  setphase(0)
  setresult(result)
end

local function listExports()
  local M = topLevel()
  local names = {}
  for k, v in next, M do
    if type(k) == 'string' and type(v) == 'function' then names[#names + 1] = k end
  end
  sort(names)
  setresult(names)
end

-- What JS calls (inside its own pcall): errors end here, classified, never as raw Lua values.
local function protected(body)
  return function()
    local ok, err = pcall(body)
    setphase(0)
    caller, peer = nil, nil
    if not ok then setfail(classify(err)) end
  end
end

return {
  setLogic = function(chunks, entryName) CHUNKS, ENTRY = chunks, entryName end,
  discover = protected(listExports),
  entry = protected(runCall),
  -- For the benchmark: microseconds one fresh environment costs (n of them, CPU time).
  measureEnv = function(n)
    local t0 = os_clock()
    for _ = 1, n do newEnv() end
    setresult((os_clock() - t0) / n * 1e6)
  end,
  objectMeta = OBJECT,
}
`
