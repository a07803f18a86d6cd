import type { Logger } from '@goop/sdk'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'
const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 }

export interface LogSink { level: LogLevel, write(line: string): void }

/** One line per event: time, level, scope, message, then key=value fields. Level from GOOP_LOG or the config. */
export function createLogger (scope: string, sink: LogSink): Logger {
  const emit = (level: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>): void => {
    if (rank[level] < rank[sink.level]) return
    let line = `${new Date().toISOString()} ${level.padEnd(5)} [${scope}] ${msg}`
    if (fields != null) {
      for (const [k, v] of Object.entries(fields)) line += ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`
    }
    sink.write(line)
  }
  return {
    debug: (m, f) => { emit('debug', m, f) },
    info: (m, f) => { emit('info', m, f) },
    warn: (m, f) => { emit('warn', m, f) },
    error: (m, f) => { emit('error', m, f) }
  }
}

export function stderrSink (level: LogLevel): LogSink {
  return { level, write: (line) => { process.stderr.write(line + '\n') } }
}

export function levelFromEnv (fallback: LogLevel): LogLevel {
  const v = process.env.GOOP_LOG
  return v != null && v in rank ? v as LogLevel : fallback
}
