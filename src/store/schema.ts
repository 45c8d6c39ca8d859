import { sql } from "drizzle-orm";
import { bigint, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import type { WireError } from "../protocol/events.ts";
import { Role, Tier } from "../protocol/names.ts";

// The app store's tables: the source of the committed SQL migrations (`npx drizzle-kit generate`), shared by PGlite and
// PostgreSQL. Ids are text so callers may choose them (a run id is known before its row exists).

export const RunStatus = {
  QUEUED: "queued",
  RUNNING: "running",
  COMPLETED: "completed",
  FAILED: "failed",
  CANCELLED: "cancelled",
} as const;
export type RunStatusName = (typeof RunStatus)[keyof typeof RunStatus];

export const MessageRole = { USER: "user", ASSISTANT: "assistant" } as const;
export type MessageRoleName = (typeof MessageRole)[keyof typeof MessageRole];

export const userRole = pgEnum("user_role", [Role.USER, Role.ADMIN]);
export const userTier = pgEnum("user_tier", [Tier.FREE, Tier.PRO, Tier.ENTERPRISE]);
export const runStatus = pgEnum("run_status", [
  RunStatus.QUEUED,
  RunStatus.RUNNING,
  RunStatus.COMPLETED,
  RunStatus.FAILED,
  RunStatus.CANCELLED,
]);
export const messageRole = pgEnum("message_role", [MessageRole.USER, MessageRole.ASSISTANT]);

const createdAt = () => timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();

export const users = pgTable(
  "users",
  {
    id: text("id").primaryKey(),
    /** Stored lower-cased and trimmed, so one address is one account. */
    email: text("email").notNull(),
    /** An argon2 hash computed by the server; the store never sees a password. */
    passwordHash: text("password_hash").notNull(),
    role: userRole("role").notNull().default(Role.USER),
    tier: userTier("tier").notNull().default(Tier.FREE),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("users_email_key").on(t.email)],
);

export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** The first characters of the key, shown in listings so a user can tell keys apart. */
    prefix: text("prefix").notNull(),
    /** SHA-256 of the key: keys are long random tokens, so a fast hash is enough and lookups stay indexable. */
    keyHash: text("key_hash").notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true, mode: "date" }),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [uniqueIndex("api_keys_key_hash_key").on(t.keyHash), index("api_keys_user_idx").on(t.userId)],
);

export const threads = pgTable(
  "threads",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    title: text("title").notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [index("threads_owner_updated_idx").on(t.ownerId, t.updatedAt)],
);

export const runs = pgTable(
  "runs",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    threadId: text("thread_id")
      .notNull()
      .references(() => threads.id, { onDelete: "cascade" }),
    request: text("request").notNull(),
    status: runStatus("status").notNull().default(RunStatus.QUEUED),
    createdAt: createdAt(),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }),
    endedAt: timestamp("ended_at", { withTimezone: true, mode: "date" }),
    error: jsonb("error").$type<WireError>(),
    /** The node executing the run and until when its lease holds; a run whose lease lapses is closed as interrupted. */
    nodeId: text("node_id").notNull(),
    leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [
    index("runs_thread_created_idx").on(t.threadId, t.createdAt),
    index("runs_open_lease_idx").on(t.leaseExpiresAt).where(sql`${t.endedAt} is null`),
  ],
);

export const messages = pgTable(
  "messages",
  {
    /** Insertion order within the store: the paging cursor. */
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    threadId: text("thread_id")
      .notNull()
      .references(() => threads.id, { onDelete: "cascade" }),
    role: messageRole("role").notNull(),
    content: text("content").notNull(),
    runId: text("run_id").references(() => runs.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [index("messages_thread_id_idx").on(t.threadId, t.id)],
);

export const eventLog = pgTable(
  "event_log",
  {
    runId: text("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    /** The whole wire envelope, exactly as the emitter built it. */
    envelope: jsonb("envelope").notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.seq] })],
);
