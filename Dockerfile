# syntax=docker/dockerfile:1
# baomi-bot: production image (docs/deploy.md). Two stages: the build needs TypeScript (a dev
# dependency); the runtime gets production dependencies only and runs the compiled bot as a
# non-root user. test/ops/dockerfile-steps.test.ts runs these same RUN and CMD lines outside Docker
# (it parses this file), so keep each step on one line.

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts
COPY . .
RUN npm run build

FROM node:20-slim AS runtime
ENV NODE_ENV=production
ENV PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only: --omit=optional also drops TypeScript, which the lockfile marks
# dev-optional (an optional peer of i18next). The npm cache stays in a build cache mount.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --omit=optional --ignore-scripts
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--max-old-space-size=512", "dist/bot/main.js"]
