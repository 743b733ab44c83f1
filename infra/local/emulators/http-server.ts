import type { Server } from "node:http";

/** The port a listening server is bound to. */
export function boundPort(server: Server, what: string): number {
  const address = server.address();
  if (address === null || typeof address === "string") {
    throw new Error(`${what} is not listening on a TCP port (address: ${String(address)})`);
  }
  return address.port;
}

/**
 * Closes a server and every connection to it, including idle keep-alive sockets held by
 * SDK clients and long-poll requests in flight (plain close() would wait for them).
 * Resolves once closed; safe to call twice.
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close((error) => {
      const code = (error as NodeJS.ErrnoException | undefined)?.code;
      if (error && code !== "ERR_SERVER_NOT_RUNNING") reject(error);
      else resolve();
    });
    server.closeAllConnections();
  });
}
