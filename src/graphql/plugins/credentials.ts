import type { Pool } from "pg";
import { makeCredentialFieldsRule, makeLoginGuard, type LoginBudget } from "../../auth/login-guard";
import { DEFAULT_LOGIN_BUDGET } from "../../config";

/**
 * Credentials: at most one credential-checking field per operation (validation), a
 * per-address budget and the throttle's bookkeeping around execution (src/auth/login-guard.ts).
 */
export function credentialsPlugin(authPool: Pool, budget: LoginBudget = DEFAULT_LOGIN_BUDGET): GraphileConfig.Plugin {
  const guard = makeLoginGuard(authPool, budget);
  return {
    name: "IroncladCredentialsPlugin",
    version: "0.1.0",
    description: "One credential check per request, a per-address login budget, login throttle bookkeeping",
    grafserv: {
      middleware: {
        setPreset(next, event) {
          event.validationRules.push(makeCredentialFieldsRule());
          return next();
        },
      },
    },
    grafast: {
      middleware: {
        execute(next, event) {
          return guard(() => next(), event.args) as ReturnType<typeof next>;
        },
      },
    },
  };
}
