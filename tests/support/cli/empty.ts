// A module without any @mechanism, for tests/cli_test.ts.
export const nothing = 0;
