/**
 * The gateway's production Node flags (package.json `start`, the Dockerfile), for every gateway
 * process a bench starts: a 64 MB young generation (V8's default tops out at 16 MB), so that an
 * SMS's or a reply's objects die young instead of being promoted (docs/performance.md).
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
