import WebSocket from 'ws';

export type ServerMessage = { type: string; [key: string]: any };

/**
 * A real `ws` client for the live-call socket that keeps every message it receives, so a test can
 * wait for the next one of a type (or assert that none came).
 */
export class LiveClient {
  readonly messages: ServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiters: (() => void)[] = [];
  private readonly socket: WebSocket;

  constructor(url: string) {
    this.socket = new WebSocket(url);
    this.socket.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()));
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => {
      this.socket.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
    this.socket.on('error', () => {});
  }

  static async open(url: string): Promise<LiveClient> {
    const client = new LiveClient(url);
    await new Promise<void>((resolve, reject) => {
      client.socket.once('open', () => resolve());
      client.socket.once('error', reject);
    });
    return client;
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  sendBinary(data: Buffer): void {
    this.socket.send(data, { binary: true });
  }

  /** The next not-yet-taken message of this type (any type when omitted). */
  async next(type?: string, timeoutMs = 10_000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.messages.findIndex((m) => (type ? m.type === type : true));
      if (index >= 0) return this.messages.splice(index, 1)[0]!;
      if (this.socket.readyState === WebSocket.CLOSED)
        throw new Error(`socket closed while waiting for ${type ?? 'a message'}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `no ${type ?? 'message'} within ${timeoutMs} ms; got ${JSON.stringify(this.messages.map((m) => m.type))}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.close();
  }
}
