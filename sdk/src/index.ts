export { SDK_VERSION } from './version.js'
export { GoopError, isGoopError } from './errors.js'
export { ERROR_STATUS, errorResponse, httpStatusOf, readJsonBody } from './http.js'
export { definePlugin, isGoopPlugin, PLUGIN_BRAND } from './plugin.js'
export type {
  CommandTools, GoopPlugin, HooksApi, HttpApi, IdentityApi, Logger, PeersApi, PluginCommand,
  PluginContext, PluginDefinition, PublicListener, TimersApi
} from './plugin.js'
export type { AnyHook, FirstHook, HookKind, HookName, HookOrder, Hooks, ParallelHook, PeerInfo, SequentialHook } from './hooks.js'
export type { PluginState, TopicPayload, Topics } from './topics.js'
export type { ServiceName, ServiceOf, Services } from './services.js'
export type { MessageHandler, MessageMeta, MqApi, SendOptions, Unsubscribe } from './mq.js'
export type { Channel, RequestOptions, StreamHandler, StreamLimits, StreamReply, StreamRequest, StreamsApi } from './streams.js'
/** The validation library plugins use for their config schemas (one copy, shared with the host). */
export { z } from 'zod'
export {
  fromBase64Url, MAX_PRESENCE_BYTES, PRESENCE_DOMAIN, PresenceRecordSchema, presenceSigningBytes, SignedPresenceSchema, toBase64Url
} from './presence.js'
export type { PeerEntry, PresenceApi, PresenceFields, PresenceRecord, PresenceSource, SignedPresence } from './presence.js'
export {
  ClientMessageSchema, RENDEZVOUS_AUTH_DOMAIN, RENDEZVOUS_MAX_MESSAGE, rendezvousAuthBytes, ServerMessageSchema
} from './rendezvous.js'
export type { ClientMessage, ServerMessage } from './rendezvous.js'
export {
  COLUMN_TYPES, ColumnSchema, ConditionSchema, DATA_CHANGED_TOPIC, DATA_LIMITS, DATA_PROTOCOL, DataRequestSchema, DataSchema,
  dataJsonSchemas, FILTER_OPS, FilterSchema, NAME_PATTERN, OrderSchema, PolicySchema, SYSTEM_COLUMNS, TableSchema
} from './data.js'
export type {
  ColumnDef, ColumnType, Condition, DataChanged, DataErrorCode, DataOpName, DataRequest, DataResult, DataResults, DataSchemaDef,
  DataSchemaInput, Filter, FilterOp, Operation, Permission, Policy, Row, Scalar, SystemColumn, TableDef, TableDefInput,
  TableDescription, Value
} from './data.js'
export { HOST_METHODS } from './logic.js'
export type { CallContext, HostMethod, LogicHost, LogicLimits, LogicModule, LogicRuntime, LogicSource } from './logic.js'
export { TEMPLATE_MANIFEST, TEMPLATE_NAME_PATTERN, TEMPLATE_RUNTIMES, TemplateManifestSchema, templateJsonSchema } from './template.js'
export type { TemplateManifest, TemplateManifestInput, TemplateRuntime } from './template.js'
