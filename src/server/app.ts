import { join } from "node:path";
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from "fastify";
import { openUsageStore } from "../analytics/open-usage-store.ts";
import type { UsageStore } from "../analytics/store.ts";
import { openBus } from "../bus/open-bus.ts";
import { PriceBook } from "../pricing/price-book.ts";
import type { CatalogPin } from "../protocol/catalog.ts";
import { ApexError, toApexError } from "../protocol/errors.ts";
import { ErrorCode, type ErrorCodeName } from "../protocol/names.ts";
import { uuidv7 } from "../runtime/ids.ts";
import { openDatabase, type Database } from "../store/database.ts";
import { storeError } from "../store/database-outage.ts";
import { CorpusRetentionRepository } from "../store/corpus-retention.ts";
import { EventLog } from "../store/event-log.ts";
import { IngestLogRepository } from "../store/ingest-log.ts";
import { RunRepository } from "../store/runs.ts";
import { createLogger } from "../telemetry/logger.ts";
import { ApexMetrics } from "../telemetry/metrics.ts";
import { ApexTracing, type TracingOptions } from "../telemetry/tracing.ts";
import { AccountAdministration } from "./account-administration.ts";
import { adminRoutes } from "./admin-routes.ts";
import { aguiRoutes } from "./agui-routes.ts";
import { apiRoutes } from "./api-routes.ts";
import { Authenticator } from "./auth.ts";
import { authRoutes } from "./auth-routes.ts";
import { auditRoutes } from "./audit-routes.ts";
import { AuditTrail } from "./audit-trail.ts";
import { catalogRoutes } from "./catalog-routes.ts";
import { corporaRoutes } from "./corpora-routes.ts";
import { CorpusService } from "./corpus-service.ts";
import { jwtSecretWarning, type ServerConfig } from "./config.ts";
import { demoRoutes } from "./demo-routes.ts";
import { healthRoutes } from "./health-routes.ts";
import { closeOnUnreadBody, trackConnections } from "./http-close.ts";
import { StoreInterruptBroker } from "./interrupt-broker.ts";
import { meteredBus } from "./metered-bus.ts";
import { metricsRoutes } from "./metrics-routes.ts";
import { refuseNul } from "./nul-refusal.ts";
import { createApexFactory } from "./pipeline.ts";
import { quotaRoutes } from "./quota-routes.ts";
import { Quotas, quotaTable } from "./quotas.ts";
import { RunLauncher } from "./run-launcher.ts";
import { Retention } from "./retention.ts";
import { RunLeases } from "./run-leases.ts";
import { addSecurityHeaders } from "./security-headers.ts";
import { SupplyCatalog } from "./supply-catalog.ts";
import { SyntheticJobService } from "./synthetic-jobs.ts";
import { syntheticJobRoutes } from "./synthetic-job-routes.ts";
import { UPLOAD_DIR, usageRoutes } from "./usage-routes.ts";
import { userRoutes } from "./user-routes.ts";
import { webRoutes } from "./web-routes.ts";
import { wsGateway } from "./ws-gateway.ts";

// The composition root: the stores, the bus, the event log, the one engine factory and the real pipeline, wired into
// one fastify instance. Everything else in src/server/ receives what it needs from here.

export interface ApexApp {
  fastify: FastifyInstance;
  auth: Authenticator;
  /** The app store (accounts, threads, runs, event log). */
  database: Database;
  /** The durable event log every run writes to (the engine's sink). */
  log: EventLog;
  /** The usage store the agents read (to load a user's data without going through HTTP). */
  usage: UsageStore;
  /** This node's run leases and the sweeper of dead nodes' runs. */
  leases: RunLeases;
  /** This node's Prometheus metrics (served at /metrics). */
  metrics: ApexMetrics;
  /** Refuses new runs, lets the runs in flight finish up to the shutdown deadline, cancels the rest, flushes the event
   * log, closes the sockets (1001) and every store. */
  close(): Promise<void>;
}

const HTTP_STATUS: Partial<Record<ErrorCodeName, number>> = {
  [ErrorCode.INVALID_REQUEST]: 400,
  [ErrorCode.UNAUTHORIZED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.EMAIL_TAKEN]: 409,
  [ErrorCode.WEAK_PASSWORD]: 400,
  [ErrorCode.THREAD_BUSY]: 409,
  [ErrorCode.CORPUS_EXISTS]: 409,
  [ErrorCode.UPLOAD_TOO_LARGE]: 413,
  [ErrorCode.UPLOAD_TOO_SLOW]: 408,
  [ErrorCode.NO_USAGE_DATA]: 422,
  [ErrorCode.UNKNOWN_FORMAT]: 422,
  [ErrorCode.MIXED_FORMATS]: 422,
  [ErrorCode.CORRUPT_FILE]: 422,
  [ErrorCode.INVALID_RECORD]: 422,
  [ErrorCode.TOO_MANY_REJECTIONS]: 422,
  [ErrorCode.INGEST_TIMEOUT]: 413,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.TOO_MANY_RUNS]: 429,
  [ErrorCode.QUOTA_EXCEEDED]: 429,
  [ErrorCode.LAST_ADMIN]: 409,
  [ErrorCode.DATABASE_UNAVAILABLE]: 503,
  [ErrorCode.BUS_UNAVAILABLE]: 503,
  [ErrorCode.SHUTTING_DOWN]: 503,
  [ErrorCode.SERVER_BUSY]: 503,
};

/** Seconds a client is asked to wait after a 503 database_unavailable: a PostgreSQL restart takes a few. */
const DATABASE_RETRY_AFTER_S = 5;

/** `tracingOptions` adds span processors to those the OTEL_* variables ask for (a test's in-memory exporter). */
export async function buildApp(config: ServerConfig, tracingOptions: TracingOptions = {}): Promise<ApexApp> {
  const tracing = await ApexTracing.open(tracingOptions);
  // One pino logger for fastify and the runs: a line written inside a run carries its trace_id.
  const logger: FastifyBaseLogger = createLogger(config.logLevel, () => tracing.logFields());
  tracing.logRunsTo(logger);
  // Behind the named proxies, `request.ip` is the client's (X-Forwarded-For): the sign-in throttle counts per client.
  const proxies = config.trustProxy === undefined ? {} : { trustProxy: config.trustProxy };
  const fastify = Fastify({ loggerInstance: logger, bodyLimit: config.frameLimitBytes, ...httpTimeouts(config), ...proxies });
  const http = trackConnections(fastify.server);
  const onError = (error: unknown) => fastify.log.error({ err: error }, "apex server error");
  const closers: (() => Promise<void>)[] = [];
  let closing: Promise<void> | undefined;
  const closeAll = async () => {
    // Taken out once, newest first: a second call finds nothing left to close.
    for (const close of closers.splice(0).reverse()) await close().catch(onError);
  };
  closers.push(() => tracing.shutdown());
  try {
    const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, onPoolError: onError });
    closers.push(() => database.close());
    const metrics = new ApexMetrics();
    const sharedBus = await openBus({ redisUrl: config.redisUrl, onError });
    closers.push(() => sharedBus.close());
    const bus = meteredBus(sharedBus, metrics);
    const usage = await openUsageStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.usagePoolSize, memoryLimitMb: config.usageMemoryLimitMb });
    closers.push(() => usage.close());
    const retryBudgetMs = config.databaseRetryMs;
    const log = new EventLog({ db: database.db, bus, newEventId: uuidv7, retryBudgetMs, onPublishError: onError, onCommitted: (events) => metrics.observeCommitted(events) });
    closers.push(() => log.close());
    const interrupts = new StoreInterruptBroker(database.db, undefined, retryBudgetMs);
    // Admin actions and refusals (REST and the dispatcher's denied hook) land in the audit log; quotas per tier.
    const audit = new AuditTrail(database.db, onError);
    // A disable or a role change reaches the gateways of every node, which close or refresh that account's sockets.
    const accounts = new AccountAdministration(database.db, audit, (userId) => bus.notify({ kind: "account_changed", user_id: userId }));
    const quotas = new Quotas(database.db, quotaTable(config), { nodeId: config.nodeId, leaseMs: config.leaseMs, renewMs: config.leaseRenewMs });
    // Ingests a dead node left running end as partial: here at start-up (every one on the embedded store, which no
    // other process opens) and after each lease sweep.
    const ingests = new IngestLogRepository(database.db);
    await ingests.endAbandoned(ErrorCode.INTERRUPTED, { everyRunning: database.engine === "pglite" });
    const corpusRetention = new CorpusRetentionRepository(database.db);
    // Corpus renames and deletions, the same for REST and chat: settings moved or dropped, audit log written.
    const corpora = new CorpusService({ usage, retention: corpusRetention, audit, ingests });
    const synthetic = new SyntheticJobService({ db: database.db, usage, prices: new PriceBook(), quotas, metrics, audit, scratchDir: join(config.dataDir, UPLOAD_DIR) });
    const factory = createApexFactory({
      usage,
      prices: new PriceBook(),
      llm: config.llm,
      sink: log,
      maxConcurrentRunsPerUser: config.maxConcurrentRuns,
      interrupts,
      admin: accounts,
      synthetic,
      corpora,
      approvalTtlMs: config.approvalTtlMs,
      onToolDenied: audit.toolDenied,
      telemetry: { tracing, metrics },
    });
    const { nodeId, leaseMs, leaseRenewMs: renewMs, sweepMs } = config;
    const afterSweep = () => Promise.all([synthetic.endOrphaned(), ingests.endAbandoned(ErrorCode.INTERRUPTED)]);
    const leases = new RunLeases({ runs: new RunRepository(database.db), log, nodeId, leaseMs, renewMs, sweepMs, afterSweep, onError });
    leases.start();
    closers.push(() => leases.stop());
    const retention = new Retention({
      db: database.db,
      runDays: config.runRetentionDays,
      intervalMs: config.retentionIntervalMs,
      onError,
      onCompacted: ({ runs, events }) => fastify.log.info({ runs, events }, "retention compacted finished runs"),
      usage: {
        store: usage,
        settings: corpusRetention,
        defaultDays: config.usageRetentionDays,
        acrossNodes: config.databaseUrl !== undefined,
        onPruned: ({ corpora, records }) => fastify.log.info({ corpora, records }, "retention deleted old usage records"),
      },
    });
    retention.start();
    closers.push(() => retention.stop());
    // Each run prices with the supply catalog in force when it starts (pinned, recorded in its report).
    const catalog = new SupplyCatalog(database.db, audit);
    const runServices = (user: { id: string }, pin?: CatalogPin) => catalog.pinnedServices(user.id, pin);
    // The node's fair queue: a burst of messages runs a few at a time, first come first served across users.
    const admission = { maxInFlight: config.maxRunsInFlight === 0 ? Number.POSITIVE_INFINITY : config.maxRunsInFlight, maxQueued: config.maxQueuedRuns };
    const launcher = new RunLauncher({ db: database.db, factory, log, maxConcurrentRuns: config.maxConcurrentRuns, leases, onError, runServices, quotas, admission, retryBudgetMs });
    closers.push(async () => {
      await factory.shutdown();
      await launcher.drain();
    });
    const auth = new Authenticator(database.db, config.jwtSecret, config.tokenTtlSeconds, { onThrottled: audit.loginThrottled });
    const weakSecret = jwtSecretWarning(config.jwtSecret);
    if (weakSecret !== undefined) fastify.log.warn(weakSecret);
    if (config.adminEmail !== undefined && config.adminPassword !== undefined && !(await auth.hasUsers())) {
      const admin = await auth.createFirstAdmin(config.adminEmail, config.adminPassword);
      fastify.log.info(`created the first admin account ${admin.email}`);
    }

    fastify.setErrorHandler((error: FastifyError, _request, reply) => {
      const { status, code, message } = httpError(error);
      // A database blip is told to the client (503 + Retry-After) and logged without its cause, which may hold SQL.
      if (code === ErrorCode.DATABASE_UNAVAILABLE) {
        void reply.header("retry-after", String(DATABASE_RETRY_AFTER_S));
        fastify.log.warn({ code }, "the database is unreachable; answered 503");
      } else if (status >= 500) onError(error);
      void reply.code(status).send({ error: { code, message } });
    });
    addSecurityHeaders(fastify, { hstsMaxAgeSeconds: config.hstsMaxAgeSeconds });
    refuseNul(fastify);
    closeOnUnreadBody(fastify);
    await fastify.register(healthRoutes, { database, usage, bus: sharedBus });
    await fastify.register(metricsRoutes, { metrics });
    await fastify.register(authRoutes, { auth });
    await fastify.register(apiRoutes, { auth, db: database.db, log });
    await fastify.register(usageRoutes, { auth, usage, prices: new PriceBook(), quotas, metrics, dataDir: config.dataDir, uploadLimitBytes: config.uploadLimitBytes, ingestBounds: { maxLineChars: config.ingestMaxLineBytes, inflatedLimitBytes: config.uploadInflatedLimitBytes, timeoutMs: config.ingestTimeoutMs }, bodyRate: { minBytes: config.uploadMinRateBytes, windowMs: config.uploadRateWindowMs }, maxConcurrentUploads: config.maxConcurrentUploads, ingests });
    await fastify.register(demoRoutes, { auth, usage, prices: new PriceBook(), quotas, metrics, scratchDir: join(config.dataDir, UPLOAD_DIR), timeoutMs: config.ingestTimeoutMs });
    await fastify.register(userRoutes, { auth });
    await fastify.register(adminRoutes, { auth, accounts });
    await fastify.register(auditRoutes, { auth, db: database.db, audit });
    await fastify.register(quotaRoutes, { auth, quotas });
    await fastify.register(catalogRoutes, { auth, catalog, db: database.db, log, launcher });
    await fastify.register(corporaRoutes, { auth, usage, audit, retention: corpusRetention, corpora, ingests });
    await fastify.register(syntheticJobRoutes, { auth, launcher, jobs: synthetic });
    await fastify.register(aguiRoutes, { auth, db: database.db, launcher, bus, log, byteBudget: config.socketByteBudget, onError });
    await fastify.register(wsGateway, {
      auth,
      launcher,
      bus,
      log,
      runs: new RunRepository(database.db),
      interrupts,
      frameLimitBytes: config.frameLimitBytes,
      heartbeatMs: config.heartbeatMs,
      socketByteBudget: config.socketByteBudget,
      rateLimitPerMinute: config.rateLimitPerMinute,
      maxSocketsPerUser: config.maxSocketsPerUser,
      metrics,
      onError,
    });
    // Last: the web UI's fallback answers the GETs no route above took.
    await fastify.register(webRoutes, { webDir: config.webDir });
    await fastify.ready();
    return {
      fastify,
      auth,
      database,
      log,
      usage,
      leases,
      metrics,
      // Idempotent: a second close (a second SIGTERM, a test's cleanup) waits for the first instead of closing again.
      close: () =>
        (closing ??= (async () => {
          await launcher.shutdown(config.shutdownDeadlineMs);
          await http.close(() => fastify.close());
          await closeAll();
        })()),
    };
  } catch (error) {
    await fastify.close().catch(onError);
    await closeAll();
    throw error;
  }
}

/**
 * Slow clients: headers and a whole request (uploads included) within their timeouts, checked every quarter of the
 * headers timeout; a connection silent both ways is cut. An upload's body must also keep a minimum rate (usage-routes).
 */
function httpTimeouts(config: ServerConfig) {
  const requestTimeout = config.requestTimeoutMs;
  const headersTimeout = Math.min(config.headersTimeoutMs, requestTimeout);
  const connectionsCheckingInterval = Math.min(30_000, Math.max(50, Math.floor(headersTimeout / 4)));
  return { requestTimeout, connectionTimeout: config.connectionTimeoutMs, http: { requestTimeout, headersTimeout, connectionsCheckingInterval } };
}

/** An error as the HTTP answer: our codes map to a status; fastify's own 4xx (schema, body) become invalid_request. */
function httpError(error: FastifyError): { status: number; code: ErrorCodeName; message: string } {
  if (error.validation !== undefined || (error.statusCode !== undefined && error.statusCode < 500 && !(error instanceof ApexError))) {
    return { status: error.validation === undefined ? (error.statusCode ?? 400) : 400, code: ErrorCode.INVALID_REQUEST, message: error.message };
  }
  const apexError = toApexError(storeError(error));
  const status = HTTP_STATUS[apexError.code] ?? 500;
  const message = apexError.code === ErrorCode.INTERNAL ? "Something went wrong on the server; try again." : apexError.message;
  return { status, code: apexError.code, message };
}
