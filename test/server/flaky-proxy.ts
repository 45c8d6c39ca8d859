import { createServer, connect, type Server, type Socket } from "node:net";

// A TCP proxy a test puts between a server and its PostgreSQL or Redis, to cause an outage and end it without touching
// the shared service: `cut()` destroys every open connection and stops listening (new ones are refused, as by a stopped
// server), `restore()` listens again on the same port.

export class FlakyProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server;
  #port = 0;

  private constructor(target: { host: string; port: number }) {
    this.#target = target;
    this.#server = this.#listener();
  }

  /** A proxy on 127.0.0.1 (a free port) to the `host:port` of `targetUrl`. */
  static async start(targetUrl: string): Promise<FlakyProxy> {
    const url = new URL(targetUrl);
    const proxy = new FlakyProxy({ host: url.hostname, port: Number(url.port) });
    await proxy.#listen(0);
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  /** `url` with its host and port replaced by the proxy's. */
  via(url: string): string {
    const proxied = new URL(url);
    proxied.hostname = "127.0.0.1";
    proxied.port = String(this.#port);
    return proxied.toString();
  }

  /** The outage begins: open connections are cut, new ones refused. */
  async cut(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    await closed;
  }

  /** The outage ends: connections are accepted again, on the same port. */
  async restore(): Promise<void> {
    this.#server = this.#listener();
    await this.#listen(this.#port);
  }

  /** An outage of `ms`, then the service is back. */
  async outage(ms: number): Promise<void> {
    await this.cut();
    await new Promise((resolve) => setTimeout(resolve, ms));
    await this.restore();
  }

  async close(): Promise<void> {
    if (this.#server.listening) await this.cut();
  }

  #listener(): Server {
    return createServer((client) => {
      const upstream = connect(this.#target.port, this.#target.host);
      for (const [from, to] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.#sockets.add(from);
        from.on("error", () => to.destroy());
        from.on("close", () => {
          this.#sockets.delete(from);
          to.destroy();
        });
        from.pipe(to);
      }
    });
  }

  #listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, "127.0.0.1", () => {
        this.#server.off("error", reject);
        this.#port = (this.#server.address() as { port: number }).port;
        resolve();
      });
    });
  }
}
