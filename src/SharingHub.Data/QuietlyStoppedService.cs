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
    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
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
