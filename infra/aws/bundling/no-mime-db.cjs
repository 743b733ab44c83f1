// Stands in for `mime-db` (a 137 kB table of media types) in the Lambda bundles only, through an
// esbuild alias set by SignalsFunction and the bundles bench. Only form-data reads it, through
// mime-types, to guess the type of an uploaded file; the digest posts text and Block Kit to
// Slack and never uploads a file. An empty table makes a lookup answer "unknown".
module.exports = {};
