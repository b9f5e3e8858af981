# Multi-stage build: compile TypeScript, then a slim runtime as a non-root user.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The commit shown by /healthz's build and gateway_build_info (.git is not in the build context).
ARG GIT_COMMIT=unknown
RUN GIT_COMMIT=$GIT_COMMIT npm run build && npm prune --omit=dev

# The carrier simulator for compose rehearsals (dev/ is never compiled into dist/ nor copied into the
# runtime image); tsx is a production dependency, so it survives the prune above.
FROM build AS simulator
USER node
CMD ["node", "--import", "tsx", "dev/simulator/cli.ts"]

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# Templates, services and Lua scripts are copied into dist/ by the build (scripts/copy-assets.mjs).
# The working-day calendar is read from CALENDAR_FILE (default calendar/kz.json): operators may
# mount a newer one without a new image (docs/calendar.md).
COPY --from=build --chown=node:node /app/calendar ./calendar
USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# A 64 MB young generation: the objects of each SMS die young instead of being promoted
# (≈ 20 % less CPU per segment sent, docs/performance.md). Same flag as `npm start`.
CMD ["node", "--max-semi-space-size=64", "dist/gateway/main.js"]
