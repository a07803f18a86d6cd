/**
 * Typed services between plugins. A plugin that lists `provides: ['greeter']` calls
 * `ctx.provide('greeter', impl)` in setup; a plugin that lists `requires: ['greeter']` gets it from
 * `ctx.use('greeter')`. Add the type by declaration merging:
 *   declare module '@goop/sdk' { interface Services { greeter: { greet (name: string): string } } }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface Services {}

export type ServiceName = keyof Services & string
export type ServiceOf<K extends string> = K extends keyof Services ? Services[K] : unknown
