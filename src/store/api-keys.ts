import { createHash, randomBytes, randomUUID } from "node:crypto";
import { and, asc, eq, isNull } from "drizzle-orm";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import type { StoreDb } from "./database.ts";
import { apiKeys, users } from "./schema.ts";
import type { User } from "./users.ts";

// API keys for programs: 256 random bits, shown once at creation; the store keeps only their SHA-256.

export type ApiKey = Omit<typeof apiKeys.$inferSelect, "keyHash">;

export interface IssuedApiKey {
  key: ApiKey;
  /** The secret itself: returned here only, never stored, never shown again. */
  secret: string;
}

const SECRET_PREFIX = "apex_";
const SHOWN_PREFIX_CHARS = 12;
const MAX_NAME_CHARS = 100;

function hashOf(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

const listed = {
  id: apiKeys.id,
  userId: apiKeys.userId,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  createdAt: apiKeys.createdAt,
  lastUsedAt: apiKeys.lastUsedAt,
  revokedAt: apiKeys.revokedAt,
};

export class ApiKeyRepository {
  readonly #db: StoreDb;

  constructor(db: StoreDb) {
    this.#db = db;
  }

  async create(userId: string, name: string): Promise<IssuedApiKey> {
    const label = name.trim();
    if (label === "" || label.length > MAX_NAME_CHARS) {
      throw new ApexError(ErrorCode.INVALID_REQUEST, `Name the key in 1 to ${MAX_NAME_CHARS} characters (e.g. "nightly export").`);
    }
    const secret = SECRET_PREFIX + randomBytes(32).toString("base64url");
    const [key] = await this.#db
      .insert(apiKeys)
      .values({ id: randomUUID(), userId, name: label, prefix: secret.slice(0, SHOWN_PREFIX_CHARS), keyHash: hashOf(secret) })
      .returning(listed);
    if (key === undefined) throw new ApexError(ErrorCode.INTERNAL, "The key was not stored; create it again.");
    return { key, secret };
  }

  /** The user's keys, revoked ones included, oldest first. */
  async list(userId: string): Promise<ApiKey[]> {
    return this.#db.select(listed).from(apiKeys).where(eq(apiKeys.userId, userId)).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
  }

  /** False when the user has no such active key. */
  async revoke(userId: string, keyId: string): Promise<boolean> {
    const revoked = await this.#db
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiKeys.id, keyId), eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id });
    return revoked.length > 0;
  }

  /** Revokes every active key of the user (an admin's reset); the number revoked. */
  async revokeAll(userId: string): Promise<number> {
    const revoked = await this.#db
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id });
    return revoked.length;
  }

  /** The owner of an active key, recording the use; null for an unknown or revoked key. */
  async authenticate(secret: string): Promise<User | null> {
    if (!secret.startsWith(SECRET_PREFIX)) return null;
    const [used] = await this.#db
      .update(apiKeys)
      .set({ lastUsedAt: new Date() })
      .where(and(eq(apiKeys.keyHash, hashOf(secret)), isNull(apiKeys.revokedAt)))
      .returning({ userId: apiKeys.userId });
    if (used === undefined) return null;
    const [user] = await this.#db.select().from(users).where(eq(users.id, used.userId)).limit(1);
    return user ?? null;
  }
}
