// Quieten Grafast's "GRAPHILE_ENV is not set" notice; development mode adds extra checks.
process.env.GRAPHILE_ENV ??= "development";
process.env.LOG_LEVEL ??= "silent"; // request log lines would flood jest output (operations.test.ts captures its own)
