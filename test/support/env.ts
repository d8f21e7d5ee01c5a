// Quieten Grafast's "GRAPHILE_ENV is not set" notice; development mode adds extra checks.
process.env.GRAPHILE_ENV ??= "development";
