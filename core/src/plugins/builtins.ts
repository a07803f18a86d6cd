import type { BuiltinPlugin } from './host.js'

/**
 * The plugins that ship with goop, by name. Each is its own package under plugins/ and is loaded
 * lazily, so a peer pays only for the ones it enables.
 */
export const builtinPlugins: Record<string, BuiltinPlugin> = {
  rendezvous: { load: async () => (await import('@goop/plugin-rendezvous')).default, enabledByDefault: false },
  site: { load: async () => (await import('@goop/plugin-site')).default, enabledByDefault: true },
  data: { load: async () => (await import('@goop/plugin-data')).default, enabledByDefault: true },
  lua: { load: async () => (await import('@goop/plugin-lua')).default, enabledByDefault: true },
  js: { load: async () => (await import('@goop/plugin-js')).default, enabledByDefault: true },
  templates: { load: async () => (await import('@goop/plugin-templates')).default, enabledByDefault: true }
}
