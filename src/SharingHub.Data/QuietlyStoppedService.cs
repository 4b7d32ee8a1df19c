using Microsoft.Extensions.Hosting;

namespace SharingHub.Data;

/// <summary>
/// A background service whose work ends, without an error, when its host stops it: its waits throw
/// <see cref="OperationCanceledException"/> as the stopping token fires, and that is the end of its work, not a fault. The
/// host forgives that itself only after a stop it was asked for; when the host is disposed because another service failed
/// to start (a refused start: a key file it cannot read), it logged the cancellation as "BackgroundService failed" with a
/// stack trace, and as a critical stop, beside the one line that said why the hub could not start.
/// </summary>
public abstract class QuietlyStoppedService : BackgroundService
{
    private volatile bool _began;
    private Task? _seenByHost;

    /// <summary>
    /// The run as the host awaits it. .NET 10's <see cref="BackgroundService"/> queues <see cref="ExecuteAsync"/> on the thread
    /// pool with the stopping token as the queue's token (dotnet/runtime#131249), so a host stopped or disposed before the pool
    /// got to it cancels the run before it began, and the host then logged that as a failed service. A run called off before
    /// it began ends quietly here too; a run that began and ended cancelled for any other reason is still reported.
    /// </summary>
    public override Task? ExecuteTask => base.ExecuteTask is { } run ? _seenByHost ??= EndedAsync(run) : null;

    private async Task EndedAsync(Task run)
    {
        try
        {
            await run;
        }
        catch (OperationCanceledException) when (run.IsCanceled && !_began)
        {
        }
    }

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _began = true;
        try
        {
            await RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>The service's work, until <paramref name="stoppingToken"/> fires.</summary>
    protected abstract Task RunAsync(CancellationToken stoppingToken);
}
