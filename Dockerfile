# syntax=docker/dockerfile:1
# apollo-chatops: one image for both halves. `docker run IMAGE web` (the default) serves Slack,
# webhooks, /healthz and /metrics on PORT; `docker run IMAGE worker` runs the pipelines and serves
# /metrics and /healthz on WORKER_METRICS_PORT. compose.yaml runs Redis, web and workers together.
#
# Step tools: git and bash are always here. Add Debian packages with
#   docker build --build-arg STEP_PACKAGES="shellcheck ansible-lint packer" .
# and anything Debian does not have (terraform) in a derived image: see docker/terraform.Dockerfile.

ARG NODE_IMAGE=node:20-bookworm-slim

# Production dependencies only: what runs (tsx and TypeScript are development dependencies).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# The production bundle (dist/, esbuild): node starts it directly, without tsx or a compiler, and each
# process loads only its own half, minified (the idle memory figures of docs/performance.md).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY commands ./commands
COPY views ./views
COPY scripts ./scripts
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ARG STEP_PACKAGES=""
# tini is PID 1: it forwards SIGTERM to node (which drains the workers) and reaps the zombies that
# steps' double-forked processes leave. bubblewrap (bwrap) and util-linux (setpriv) are the step sandbox.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git bash tini util-linux bubblewrap openssh-client ${STEP_PACKAGES} \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 apollo \
 && useradd --system --uid 10001 --gid apollo --home-dir /var/lib/apollo --shell /usr/sbin/nologin apollo \
 && mkdir -p /var/lib/apollo /etc/apollo \
 && chown apollo:apollo /var/lib/apollo
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY examples ./examples
COPY scripts/healthcheck.mjs ./scripts/healthcheck.mjs
ENV NODE_ENV=production \
    PORT=3000 \
    WORKER_METRICS_PORT=9465 \
    APOLLO_STATE_DIR=/var/lib/apollo \
    APOLLO_CONFIG=/etc/apollo/apollo.yml \
    LOG_FORMAT=json
# Web and worker run as this unprivileged user. A worker that sandboxes its steps (the default,
# worker.sandbox: namespaces) must run as root with CAP_SYS_ADMIN: compose.yaml shows how.
USER apollo
VOLUME ["/var/lib/apollo"]
EXPOSE 3000 9465
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "scripts/healthcheck.mjs"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/main.js"]
CMD ["web"]
