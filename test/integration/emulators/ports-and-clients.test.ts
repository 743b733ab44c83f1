import { createServer } from "node:net";
import { expect, it } from "vitest";
import { localClientConfig } from "../../../infra/local/emulators/clients.ts";
import { freePort, isPortFree } from "../../../infra/local/emulators/ports.ts";

it("freePort returns a port that can be bound, and isPortFree sees it taken once it is", async () => {
  const port = await freePort();
  expect(port).toBeGreaterThan(1024);
  expect(await isPortFree(port)).toBe(true);

  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  try {
    expect(await isPortFree(port)).toBe(false);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

it("localClientConfig points SDK clients at a local endpoint with fake credentials", () => {
  expect(localClientConfig("http://127.0.0.1:4566")).toEqual({
    endpoint: "http://127.0.0.1:4566",
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  expect(() => localClientConfig("localhost:4566")).toThrow(/must use http or https, got "localhost:4566"/);
  expect(() => localClientConfig("127.0.0.1:4566")).toThrow(/must be an absolute URL/);
  expect(() => localClientConfig("")).toThrow(/must be an absolute URL/);
});
