import { createServer } from "node:net";

/**
 * A TCP port that was free on 127.0.0.1 a moment ago. Another process can take it before
 * the caller binds it, so callers that spawn a server on it must handle "address in use".
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error(`could not read the port of a probe socket (got ${String(address)})`));
        return;
      }
      server.close((error) => (error ? reject(error) : resolve(address.port)));
    });
  });
}

/**
 * Whether `port` can be bound on every interface right now (the way servers such as
 * DynamoDB Local bind it). Only "address in use" counts as taken; other bind errors
 * (a privileged port, say) are left for the real server to report.
 */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", (error: NodeJS.ErrnoException) => resolve(error.code !== "EADDRINUSE"));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}
