import type { Rule } from "../types";
import { functionRules } from "./functions";
import { inputRules } from "./inputs";
import { rlsRules } from "./rls";
import { roleRules } from "./roles";
import { tableRules } from "./tables";
import { tenantRules } from "./tenant";
import { viewRules } from "./views";

/** Every rule, in the order findings are reported. */
export const RULES: readonly Rule[] = [
  ...rlsRules,
  ...tenantRules,
  ...tableRules,
  ...inputRules,
  ...viewRules,
  ...functionRules,
  ...roleRules,
];

const ids = RULES.map((r) => r.id);
const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
if (duplicate) throw new Error(`duplicate lint rule id ${duplicate}`);
