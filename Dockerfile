# The Tidemark registry image. The first stage compiles TypeScript with the dev dependencies;
# the second carries only the build output and the production dependencies.
#
#   docker build -t tidemark .
#   docker run -p 5000:5000 -e TIDEMARK_DATABASE_URL=postgres://... tidemark
#
# Without TIDEMARK_DATABASE_URL the registry starts the embedded Postgres under /data/postgres,
# which needs a writable /data volume; docker-compose.yml uses a separate Postgres instead.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    TIDEMARK_PORT=5000 \
    TIDEMARK_DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
# The embedded-postgres binaries are a production dependency, so they come along even when an
# external database is configured; they are only started when TIDEMARK_DATABASE_URL is unset.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/apps ./dist/apps
COPY --from=build /app/dist/libs ./dist/libs
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 5000
CMD ["node", "dist/apps/cli/src/main.js", "serve", "--host", "0.0.0.0"]
