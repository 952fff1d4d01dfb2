/** Quotes s for a POSIX shell (single quotes; an embedded ' is closed, escaped, reopened). */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`
}

/**
 * The command to show with a new key: the server's own (it knows its public
 * URL and where agents are downloaded), or an enroll-and-install line for an
 * agent already on the machine. The key goes in the environment, never on the
 * command line where the process list would show it.
 */
export function installCommandFor(key: string, serverCommand: string | undefined, origin: string): string {
  if (serverCommand) return serverCommand
  return `BREEZE_ENROLLMENT_KEY=${shellQuote(key)} breeze-agent enroll --server ${shellQuote(origin)} && sudo breeze-agent install`
}
