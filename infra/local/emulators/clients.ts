/**
 * Config for AWS SDK v3 clients talking to a local emulator. The emulators ignore
 * credentials and region, but the SDK refuses to sign without them; static fake ones also
 * keep the SDK from searching the machine for real credentials.
 */
export interface LocalClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export const LOCAL_REGION = "us-east-1";

export function localClientConfig(endpoint: string): LocalClientConfig {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new TypeError(`local endpoint must be an absolute URL such as http://127.0.0.1:8000, got ${JSON.stringify(endpoint)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`local endpoint must use http or https, got ${JSON.stringify(endpoint)}`);
  }
  return {
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  };
}
