package ports

// Logger is the logging the core uses. hclog.Logger, Breeze's one logger,
// satisfies it as is; core/ imports no logging library, so it is declared
// here once for every use case.
type Logger interface {
	Debug(msg string, args ...interface{})
	Info(msg string, args ...interface{})
	Warn(msg string, args ...interface{})
	Error(msg string, args ...interface{})
}

// NopLogger discards everything: the default of a use case built without
// a Logger.
type NopLogger struct{}

func (NopLogger) Debug(string, ...interface{}) {}
func (NopLogger) Info(string, ...interface{})  {}
func (NopLogger) Warn(string, ...interface{})  {}
func (NopLogger) Error(string, ...interface{}) {}
