/**
 * The gateway's production Node flags (package.json `start`, the Dockerfile), for every gateway
 * process a bench starts: a 64 MB young generation (V8's default tops out at 16 MB), so that an
 * SMS's or a reply's objects die young instead of being promoted (docs/performance.md).
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

/**
 * A `GATEWAY_ROLE=workers` process's flags (docs/operations.md): a 128 MB young generation. It
 * answers no SMSC, so its longer young-generation pauses delay no `deliver_sm_resp`, and fewer of
 * the objects of the replies it holds in flight outlive the young generation (docs/performance.md).
 */
export const WORKERS_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=128'];
