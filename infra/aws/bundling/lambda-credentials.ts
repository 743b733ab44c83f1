/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles only (an esbuild
 * alias set by SignalsFunction and the bundles bench; local code and tests use the real chain).
 *
 * Lambda always hands a function its role's credentials in AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, valid for the life of the execution environment,
 * so the default chain's other links (SSO, INI files, web identity, container and instance
 * metadata, `aws login`) are never reached there; they and the STS/SSO clients they bundle were
 * about 110 kB of every bundle (measured by `npm run bench -- bundles`). This keeps the first link only.
 */
import { fromEnv } from "@aws-sdk/credential-provider-env";

type Init = Parameters<typeof fromEnv>[0];

export const defaultProvider = (init?: Init) => fromEnv(init);
