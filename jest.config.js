/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: { warnOnly: false } }] },
  testMatch: ["<rootDir>/test/**/*.test.ts"],
  globalSetup: "<rootDir>/test/support/global-setup.ts",
  globalTeardown: "<rootDir>/test/support/global-teardown.ts",
  setupFiles: ["<rootDir>/test/support/env.ts"],
  setupFilesAfterEnv: ["<rootDir>/test/support/after-env.ts"],
  testTimeout: 60_000,
  // One suite at a time. Suites share one database; most roll back, but the leak fuzzer, the
  // concurrency hammer and the worker suites commit into the demo gyms or compare whole-gym
  // ground truth, and must not watch another suite's writes land mid-run.
  maxWorkers: 1,
  testSequencer: "<rootDir>/test/support/sequencer.js",
  // A handle some suite forgets to close (a pg client, a socket) must not keep CI waiting for
  // its 90-minute limit after every test has finished: exit when the run is done.
  forceExit: true,
};
