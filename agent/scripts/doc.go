// Package scripts runs run_script bodies (docs/remote-work.md): a Runtime per
// language (sh, bash, python3, pwsh, later plugins) turns a script file
// into a command; Runner writes the body to a private temporary file, runs
// it with a minimal environment plus the parameters (as arguments and
// environment, never spliced into a shell string), caps what it keeps of
// stdout and stderr while draining the rest, and kills the whole process
// group on timeout or cancellation. A Direct runtime (a plugin) runs the
// body itself, with the same checks, caps and timeout, and no file.
package scripts
