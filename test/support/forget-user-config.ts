import { forgetUserConfigVariables } from './child-env.js';

// Runs in every test process before its test files (vitest.config.ts, setupFiles): see forgetUserConfigVariables.
forgetUserConfigVariables();
