import { randomBytes } from "node:crypto";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode, Role, type RoleName, type TierName } from "../protocol/names.ts";
import { ApiKeyRepository } from "../store/api-keys.ts";
import type { StoreDb } from "../store/database.ts";
import { UserRepository, type User } from "../store/users.ts";
import { Argon2Pool, verifyHash } from "./argon2-pool.ts";
import { LoginThrottle, type ThrottleEpisode } from "./login-throttle.ts";
import { checkPassword } from "./password-policy.ts";

// Who is calling: argon2 password hashes (through a bounded pool), HS256 session tokens (jose), API keys, sign-ins
// throttled per account and address, and the one-time creation of the first admin. There is no way around it: every
// route and socket goes through `authenticate`.

/** The identity a request carries once authenticated; never the password hash. */
export interface AuthUser {
  id: string;
  email: string;
  role: RoleName;
  tier: TierName;
}

export interface IssuedToken {
  token: string;
  expiresAt: string;
}

export interface AuthenticatorOptions {
  /** Where passwords are hashed and verified; one per node. */
  pool?: Argon2Pool;
  throttle?: LoginThrottle;
  /** A key has just been blocked after failed sign-ins (once per episode): the caller audits it. */
  onThrottled?: (episode: ThrottleEpisode, address: string) => void;
}

const API_KEY_PREFIX = "apex_";
const ALGORITHM = "HS256";
/** A token without these is refused: one without `exp` would never expire. */
const REQUIRED_CLAIMS = ["exp", "iat", "sub"];
/** Clock skew between nodes tolerated on `exp`, `nbf` and `iat`. */
const CLOCK_TOLERANCE_S = 5;

/** The hash of a new password, after the password policy (`weak_password` otherwise). */
export async function hashPassword(password: string, pool: Argon2Pool = new Argon2Pool({ concurrency: 1 })): Promise<string> {
  return pool.hash(checkPassword(password));
}

function throttled(retryAfterMs: number): ApexError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new ApexError(ErrorCode.RATE_LIMITED, `Too many failed sign-ins for this account or from this address; wait ${seconds} s and try again.`, {
    details: { retry_after_s: seconds },
    retryable: true,
  });
}

function summary(user: User): AuthUser {
  return { id: user.id, email: user.email, role: user.role, tier: user.tier };
}

/** The identity of an enabled account; `unauthorized` for a disabled one, whatever credential it came with. */
function enabled(user: User): AuthUser {
  if (user.disabledAt !== null) throw new ApexError(ErrorCode.UNAUTHORIZED, "This account is disabled; ask an admin to enable it.");
  return summary(user);
}

export class Authenticator {
  readonly #users: UserRepository;
  readonly #keys: ApiKeyRepository;
  readonly #secret: Uint8Array;
  readonly #ttlSeconds: number;
  readonly #pool: Argon2Pool;
  readonly #throttle: LoginThrottle;
  readonly #onThrottled: (episode: ThrottleEpisode, address: string) => void;
  /** Verified against when the email is unknown, so a login takes as long whether or not the account exists. */
  readonly #decoyHash: Promise<string>;

  constructor(db: StoreDb, secret: string, ttlSeconds: number, options: AuthenticatorOptions = {}) {
    this.#users = new UserRepository(db);
    this.#keys = new ApiKeyRepository(db);
    this.#secret = new TextEncoder().encode(secret);
    this.#ttlSeconds = ttlSeconds;
    this.#pool = options.pool ?? new Argon2Pool();
    this.#throttle = options.throttle ?? new LoginThrottle();
    this.#onThrottled = options.onThrottled ?? (() => undefined);
    this.#decoyHash = this.#pool.hash(randomBytes(16).toString("hex"));
  }

  get throttle(): LoginThrottle {
    return this.#throttle;
  }

  async createUser(email: string, password: string, role: RoleName = Role.USER): Promise<AuthUser> {
    return summary(await this.#users.create({ email, passwordHash: await hashPassword(password, this.#pool), role }));
  }

  /** Creates the first admin; `forbidden` once any account exists (the setup is one-time, on every node of a cluster). */
  async createFirstAdmin(email: string, password: string): Promise<AuthUser> {
    const alreadySetUp = () => new ApexError(ErrorCode.FORBIDDEN, "Apex is already set up; sign in, or ask an admin for an account.");
    // Checked first so a set-up server answers without hashing; the store's locked check decides the race.
    if (await this.hasUsers()) throw alreadySetUp();
    const created = await this.#users.createFirst({ email, passwordHash: await hashPassword(password, this.#pool), role: Role.ADMIN });
    if (created === null) throw alreadySetUp();
    return summary(created);
  }

  async hasUsers(): Promise<boolean> {
    return (await this.#users.list()).length > 0;
  }

  /**
   * A session token for the email and password; `unauthorized` with one message whichever of the two is wrong, and
   * `rate_limited` (with `details.retry_after_s`) while the account or the address `from` is throttled.
   */
  async login(email: string, password: string, from = "unknown"): Promise<IssuedToken> {
    const waitMs = this.#throttle.retryAfterMs(email, from);
    if (waitMs > 0) throw throttled(waitMs);
    const decoy = await this.#decoyHash;
    const { user, ok } = await this.#pool.run(async () => {
      // Asked again once a slot is free: a sign-in queued behind a burst is not checked if the burst blocked it.
      const queuedWaitMs = this.#throttle.retryAfterMs(email, from);
      if (queuedWaitMs > 0) throw throttled(queuedWaitMs);
      const found = await this.#users.findByEmail(email);
      return { user: found, ok: await verifyHash(found?.passwordHash ?? decoy, password) };
    });
    if (user === null || !ok) {
      for (const episode of this.#throttle.failed(email, from)) this.#onThrottled(episode, from);
      throw new ApexError(ErrorCode.UNAUTHORIZED, "The email or the password is wrong; check both and try again.");
    }
    this.#throttle.succeeded(email);
    return this.issueToken(enabled(user));
  }

  /** The account of `userId` as it is now; `unauthorized` once it is disabled or gone (a socket's commands ask this). */
  async current(userId: string): Promise<AuthUser> {
    const user = await this.#users.findById(userId);
    if (user === null) throw new ApexError(ErrorCode.UNAUTHORIZED, "This account no longer exists; sign in again.");
    return enabled(user);
  }

  async issueToken(user: AuthUser): Promise<IssuedToken> {
    const expires = Math.floor(Date.now() / 1000) + this.#ttlSeconds;
    const token = await new SignJWT({ role: user.role })
      .setProtectedHeader({ alg: ALGORITHM })
      .setSubject(user.id)
      .setIssuedAt()
      .setExpirationTime(expires)
      .sign(this.#secret);
    return { token, expiresAt: new Date(expires * 1000).toISOString() };
  }

  /**
   * The user of a session token or an API key; `unauthorized` for anything else (expired, forged, revoked, unknown, or
   * an account disabled since the credential was issued: the account is read on every call, so that takes effect now).
   */
  async authenticate(credential: string | undefined): Promise<AuthUser> {
    const secret = credential?.trim() ?? "";
    if (secret === "") throw new ApexError(ErrorCode.UNAUTHORIZED, "Sign in first: send a token as `Authorization: Bearer <token>`.");
    if (secret.startsWith(API_KEY_PREFIX)) {
      const owner = await this.#keys.authenticate(secret);
      if (owner === null) throw new ApexError(ErrorCode.UNAUTHORIZED, "This API key is unknown or revoked; create a new one.");
      return enabled(owner);
    }
    let subject: string | undefined;
    try {
      const { payload } = await jwtVerify(secret, this.#secret, {
        algorithms: [ALGORITHM],
        requiredClaims: REQUIRED_CLAIMS,
        clockTolerance: CLOCK_TOLERANCE_S,
        // Bounds a token by its issue time too, so one signed with a far `exp` is refused (and an `iat` in the future).
        maxTokenAge: this.#ttlSeconds + CLOCK_TOLERANCE_S,
      });
      subject = payload.sub;
    } catch (error) {
      const expired = error instanceof joseErrors.JWTExpired;
      throw new ApexError(ErrorCode.UNAUTHORIZED, expired ? "Your session expired; sign in again." : "The token is not valid; sign in again.", {
        cause: error,
      });
    }
    const user = subject === undefined ? null : await this.#users.findById(subject);
    if (user === null) throw new ApexError(ErrorCode.UNAUTHORIZED, "The account of this token no longer exists; sign in again.");
    return enabled(user);
  }

  /** The credential of an `Authorization: Bearer <credential>` header, if that is what the header holds. */
  static bearer(header: string | undefined): string | undefined {
    const match = /^Bearer\s+(\S+)$/i.exec(header?.trim() ?? "");
    return match?.[1];
  }
}
