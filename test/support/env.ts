import { tmpdir } from "node:os";
import path from "node:path";

// Quieten Grafast's "GRAPHILE_ENV is not set" notice; development mode adds extra checks.
process.env.GRAPHILE_ENV ??= "development";
// The development mail transport writes here (read back by test/support/mail.ts), not .data/.
process.env.MAIL_DIR ??= path.join(tmpdir(), `ironclad-test-mail-${process.pid}`);
process.env.LOG_LEVEL ??= "silent"; // request log lines would flood jest output (operations.test.ts captures its own)
