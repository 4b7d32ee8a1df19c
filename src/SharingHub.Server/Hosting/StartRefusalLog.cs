using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Console;
using SharingHub.Data.Storage;

namespace SharingHub.Server.Hosting;

/// <summary>
/// The log's side of <see cref="StartRefusal"/>: when the host fails to start for a reason an operator can act on (a setting,
/// a key file, a database it cannot reach), the one line on standard error says it, and the log does not also hold the host's
/// own "Hosting failed to start" entry with the exception's stack trace (never a stack trace in the log: issue 28). A start
/// that fails for any other reason keeps that entry, stack and all: it is a fault of the hub's own, for its developers.
/// </summary>
internal static class StartRefusalLog
{
    /// <summary>The generic host's logger, and its event for a start that failed (Microsoft.Extensions.Hosting's <c>LoggerEventIds</c>).</summary>
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";
    private const int HostedServiceStartupFaulted = 11;

    /// <summary>Wraps the console logger (the hub's one log provider, added before this) so that it leaves that one entry out.</summary>
    public static ILoggingBuilder LeaveOutExplainedStartFailures(this ILoggingBuilder logging)
    {
        logging.Services.RemoveAll<ILoggerProvider>();
        logging.Services.TryAddSingleton<ConsoleLoggerProvider>();
        logging.Services.AddSingleton<ILoggerProvider, Provider>();
        return logging;
    }

    /// <summary>Whether the log leaves this entry out: the host's start failure, for a reason said on standard error instead.</summary>
    internal static bool LeftOut(string category, EventId eventId, Exception? exception) =>
        category == HostCategory && eventId.Id == HostedServiceStartupFaulted && exception is not null && OperatorFailures.Explain(exception) is not null;

    /// <summary>Known to the log's settings by the console's name, so that <c>Logging:Console:...</c> still applies to it.</summary>
    [ProviderAlias("Console")]
    private sealed class Provider(ConsoleLoggerProvider console) : ILoggerProvider, ISupportExternalScope
    {
        public ILogger CreateLogger(string categoryName)
        {
            var inner = console.CreateLogger(categoryName);
            return categoryName == HostCategory ? new HostLogger(inner, categoryName) : inner;
        }

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => console.SetScopeProvider(scopeProvider);

        public void Dispose() => console.Dispose();
    }

    private sealed class HostLogger(ILogger inner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!LeftOut(category, eventId, exception))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
