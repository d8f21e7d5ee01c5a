import pino, { type Logger } from "pino";
import type { LogLevel } from "../config";

/**
 * The process's one logger: pino, one JSON object per line on stdout (request lines, errors,
 * lifecycle). Errors are serialised into the same line (`err.type`, `err.message`, `err.stack`
 * as one JSON string), so a log shipper never sees a multi-line object dump.
 */
export let log: Logger = pino({ level: process.env.LOG_LEVEL || "info", base: { service: "ironclad" } });

/** Re-create the logger (npm start: LOG_LEVEL from the validated settings; tests: a capture stream). */
export function configureLogger(options: { level?: LogLevel; destination?: pino.DestinationStream } = {}): Logger {
  const level = options.level ?? "info";
  log = options.destination
    ? pino({ level, base: { service: "ironclad" } }, options.destination)
    : pino({ level, base: { service: "ironclad" } });
  return log;
}
