import { randomBytes } from "node:crypto";
import { hash, verify } from "@node-rs/argon2";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode, Role, type RoleName, type TierName } from "../protocol/names.ts";
import { ApiKeyRepository } from "../store/api-keys.ts";
import type { StoreDb } from "../store/database.ts";
import { UserRepository, type User } from "../store/users.ts";

// Who is calling: argon2 password hashes, HS256 session tokens (jose), API keys, and the one-time creation of the first
// admin. There is no way around it: every route and socket goes through `authenticate`.

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

const MIN_PASSWORD_CHARS = 10;
const MAX_PASSWORD_CHARS = 1024;
const API_KEY_PREFIX = "apex_";
const ALGORITHM = "HS256";

function checkPassword(password: string): string {
  if (password.length < MIN_PASSWORD_CHARS || password.length > MAX_PASSWORD_CHARS) {
    throw new ApexError(ErrorCode.INVALID_REQUEST, `Choose a password of ${MIN_PASSWORD_CHARS} to ${MAX_PASSWORD_CHARS} characters.`);
  }
  return password;
}

export function hashPassword(password: string): Promise<string> {
  return hash(checkPassword(password));
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
  /** Verified against when the email is unknown, so a login takes as long whether or not the account exists. */
  readonly #decoyHash: Promise<string>;

  constructor(db: StoreDb, secret: string, ttlSeconds: number) {
    this.#users = new UserRepository(db);
    this.#keys = new ApiKeyRepository(db);
    this.#secret = new TextEncoder().encode(secret);
    this.#ttlSeconds = ttlSeconds;
    this.#decoyHash = hash(randomBytes(16).toString("hex"));
  }

  async createUser(email: string, password: string, role: RoleName = Role.USER): Promise<AuthUser> {
    return summary(await this.#users.create({ email, passwordHash: await hashPassword(password), role }));
  }

  /** Creates the first admin; `forbidden` once any account exists (the setup is one-time, on every node of a cluster). */
  async createFirstAdmin(email: string, password: string): Promise<AuthUser> {
    const alreadySetUp = () => new ApexError(ErrorCode.FORBIDDEN, "Apex is already set up; sign in, or ask an admin for an account.");
    // Checked first so a set-up server answers without hashing; the store's locked check decides the race.
    if (await this.hasUsers()) throw alreadySetUp();
    const created = await this.#users.createFirst({ email, passwordHash: await hashPassword(password), role: Role.ADMIN });
    if (created === null) throw alreadySetUp();
    return summary(created);
  }

  async hasUsers(): Promise<boolean> {
    return (await this.#users.list()).length > 0;
  }

  /** A session token for the email and password; `unauthorized` with one message whichever of the two is wrong. */
  async login(email: string, password: string): Promise<IssuedToken> {
    const user = await this.#users.findByEmail(email);
    const ok = await verify(user?.passwordHash ?? (await this.#decoyHash), password).catch(() => false);
    if (user === null || !ok) throw new ApexError(ErrorCode.UNAUTHORIZED, "The email or the password is wrong; check both and try again.");
    return this.issueToken(enabled(user));
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
      subject = (await jwtVerify(secret, this.#secret, { algorithms: [ALGORITHM] })).payload.sub;
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
