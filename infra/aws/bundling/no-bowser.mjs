// Stands in for `bowser` (a browser user-agent parser, 35 kB) in the Lambda bundles only, through
// an esbuild alias (aliases.ts). The AWS SDK imports it lazily to describe a *browser* in its
// user agent; in Node.js that path never runs, but a bundle split at dynamic imports would carry
// it as a chunk of its own.
export const parse = () => undefined;
export default { parse };
